#include "tokenizer/tokenizer.h"

#include <cmath>

#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_state.h"
#include "tokenizer/utf8.h"

namespace lieq {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁" (U+2581), SentencePiece's space

Status SpecError(const std::string& message) { return InvalidArgument("tokenizer: " + message); }

// The byte a SentencePiece byte-fallback token "<0xHH>" stands for, or -1.
int ByteTokenValue(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return -1;
    }
    value = value * 16 + digit;
  }
  return value;
}

// Tokens written as their raw text and found in the text before BPE.
bool IsAddedType(TokenType t) {
  return t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
}

Status CheckId(int32_t id, size_t n, const char* what) {
  if (id < -1 || (id >= 0 && static_cast<size_t>(id) >= n)) {
    return SpecError(std::string(what) + " id " + std::to_string(id) + " is outside the " +
                     std::to_string(n) + "-token vocabulary");
  }
  return Status::Ok();
}

// Registers merge `index` ("left right") with the ranks. A token may itself contain a space
// (tokenizer.json's [left, right] form allows it), so every space is tried as the separator.
Status AddMerge(const std::string& merge, size_t index, Tokenizer::State* s) {
  const std::string where = "merge " + std::to_string(index) + " ('" + merge + "')";
  bool parts_known = false;
  for (size_t space = merge.find(' '); space != std::string::npos;
       space = merge.find(' ', space + 1)) {
    const std::string_view left = std::string_view(merge).substr(0, space);
    const std::string_view right = std::string_view(merge).substr(space + 1);
    const int32_t l = s->index.Find(left);
    const int32_t r = s->index.Find(right);
    if (left.empty() || right.empty() || l < 0 || r < 0) continue;
    parts_known = true;
    const int32_t merged = s->index.Find(merge.substr(0, space) + merge.substr(space + 1));
    if (merged < 0) continue;
    s->ranks.Add(l, r, merged);  // a repeated pair keeps its first (higher priority) rank
    return Status::Ok();
  }
  if (merge.find(' ') == std::string::npos) return SpecError(where + " has no space");
  if (!parts_known) return SpecError(where + " names a token that is not in the vocabulary");
  return SpecError(where + ": the merged token is not in the vocabulary");
}

}  // namespace

Result<Tokenizer> Tokenizer::Create(TokenizerSpec spec) {
  auto s = std::make_shared<State>();
  const size_t n = spec.tokens.size();
  if (n == 0) return SpecError("the vocabulary is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return SpecError("too many tokens");
  if (spec.types.empty()) spec.types.assign(n, TokenType::kNormal);
  if (spec.types.size() != n) {
    return SpecError(std::to_string(spec.types.size()) + " token types for " + std::to_string(n) +
                     " tokens");
  }
  if (!spec.scores.empty() && spec.scores.size() != n) {
    return SpecError(std::to_string(spec.scores.size()) + " token scores for " + std::to_string(n) +
                     " tokens");
  }
  for (size_t i = 0; i < spec.scores.size(); ++i) {
    // NaN would break the ordering the score merge relies on.
    if (std::isnan(spec.scores[i]))
      return SpecError("token " + std::to_string(i) + " has a NaN score");
  }
  LIEQ_RETURN_IF_ERROR(CheckId(spec.bos_id, n, "BOS"));
  LIEQ_RETURN_IF_ERROR(CheckId(spec.eos_id, n, "EOS"));
  LIEQ_RETURN_IF_ERROR(CheckId(spec.unk_id, n, "unknown-token"));
  LIEQ_RETURN_IF_ERROR(CheckId(spec.pad_id, n, "padding"));
  for (const AddedTokenFlags& f : spec.added_token_flags) {
    if (f.id < 0) return SpecError("added-token flags for id " + std::to_string(f.id));
    LIEQ_RETURN_IF_ERROR(CheckId(f.id, n, "added-token"));
  }

  s->index.Build(spec.tokens);
  for (size_t i = 0; i < spec.merges.size(); ++i) {
    LIEQ_RETURN_IF_ERROR(AddMerge(spec.merges[i], i, s.get()));
  }

  s->byte_ids.fill(-1);
  if (spec.kind == TokenizerSpec::Kind::kByteLevelBpe) {
    Result<PreTokenizer> pre = PreTokenizer::Create(spec.pre);
    if (!pre.ok()) return pre.status().WithContext("tokenizer");
    s->pre = std::move(*pre);
    s->ignore_merges = PreTokenizerRegex(spec.pre) == PreTokenizerRegex("llama-bpe");
    for (int b = 0; b < 256; ++b) {
      std::string ch;
      AppendUtf8(ByteToAlphabet(static_cast<uint8_t>(b)), &ch);
      s->byte_ids[b] = s->index.Find(ch);
      if (s->byte_ids[b] < 0) {
        return SpecError("byte-level vocabulary has no token for byte " + std::to_string(b) +
                         " ('" + ch + "')");
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      const int b = ByteTokenValue(spec.tokens[i]);
      if (b >= 0 && s->byte_ids[b] < 0) s->byte_ids[b] = static_cast<int32_t>(i);
    }
    s->merge_by_score = spec.merges.empty();
    if (s->merge_by_score && spec.scores.empty()) {
      return SpecError("a SentencePiece vocabulary needs merges or token scores");
    }
  }

  // Added tokens: control/unknown ones are special; flags come from tokenizer.json.
  std::vector<AddedTokenFlags> flags(n);
  for (const AddedTokenFlags& f : spec.added_token_flags) flags[f.id] = f;
  for (size_t i = 0; i < n; ++i) {
    if (!IsAddedType(spec.types[i])) continue;
    s->added.Add(spec.tokens[i], static_cast<int32_t>(i), spec.types[i] != TokenType::kUserDefined,
                 flags[i]);
  }

  s->spec = std::move(spec);
  return Tokenizer(std::move(s));
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(state_->spec.tokens.size()); }

const TokenizerSpec& Tokenizer::spec() const { return state_->spec; }

int32_t Tokenizer::TokenId(std::string_view text) const { return state_->index.Find(text); }

std::string Tokenizer::TokenPiece(int32_t id) const {
  const State& s = *state_;
  if (id < 0 || id >= vocab_size()) return {};
  const std::string& text = s.spec.tokens[id];
  if (IsAddedType(s.spec.types[id])) return text;
  std::string out;
  if (s.spec.kind == TokenizerSpec::Kind::kByteLevelBpe) {
    // A token outside the byte alphabet (possible in hand-made files) is written as it is.
    if (!FromByteLevel(text, &out)) out = text;
    return out;
  }
  const int b = ByteTokenValue(text);
  if (b >= 0) return std::string(1, static_cast<char>(b));
  for (size_t pos = 0; pos < text.size();) {
    if (text.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
      out.push_back(' ');
      pos += kSpaceMark.size();
    } else {
      out.push_back(text[pos++]);
    }
  }
  return out;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special) const {
  const State& s = *state_;
  std::string out;
  for (int32_t id : ids) {
    if (skip_special && id >= 0 && id < vocab_size() &&
        (s.spec.types[id] == TokenType::kControl || s.spec.types[id] == TokenType::kUnknown)) {
      continue;
    }
    out += TokenPiece(id);
  }
  // SentencePiece encoding put a "▁" before the text; take its space off again.
  if (s.spec.kind == TokenizerSpec::Kind::kSentencePieceBpe && s.spec.add_space_prefix &&
      !out.empty() && out[0] == ' ') {
    out.erase(0, 1);
  }
  return out;
}

}  // namespace lieq
