// Tokenizer::Encode: added tokens, then normalisation, pre-tokenization and BPE per text piece.
#include <functional>
#include <string>
#include <unordered_map>

#include "tokenizer/byte_level.h"
#include "tokenizer/nfc.h"
#include "tokenizer/spm_merge.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_state.h"
#include "tokenizer/utf8.h"

namespace lieq {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁" (U+2581), SentencePiece's space

// BPE results per pre-token for one Encode call: natural text repeats a small set of words, so
// most pieces are merged once. Kept per call (not in the Tokenizer) so Encode stays const and
// thread-safe without locks.
class WordCache {
 public:
  const std::vector<int32_t>* Find(std::string_view word) const {
    auto it = ids_.find(word);
    return it == ids_.end() ? nullptr : &it->second;
  }
  const std::vector<int32_t>& Insert(std::string_view word, std::vector<int32_t> ids) {
    return ids_.emplace(std::string(word), std::move(ids)).first->second;
  }

 private:
  struct Hash {
    using is_transparent = void;  // enables find(string_view)
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<int32_t>, Hash, std::equal_to<>> ids_;
};

using State = Tokenizer::State;

// BPE of one byte-level pre-token.
std::vector<int32_t> MergeByteLevelWord(const State& s, std::string_view word) {
  if (s.ignore_merges) {
    const int32_t whole = s.index.Find(ToByteLevel(word));
    if (whole >= 0) return {whole};
  }
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  for (char c : word) symbols.push_back(s.byte_ids[static_cast<uint8_t>(c)]);
  s.ranks.Apply(&symbols);
  return symbols;
}

Status EncodeByteLevel(const State& s, std::string_view text, WordCache* cache,
                       std::vector<int32_t>* out) {
  std::string normalized;
  if (s.spec.nfc) {
    LIEQ_ASSIGN_OR_RETURN(normalized, NfcNormalize(text));
    text = normalized;
  }
  std::vector<std::string_view> words;
  LIEQ_RETURN_IF_ERROR(s.pre->Split(text, &words));
  for (std::string_view word : words) {
    const std::vector<int32_t>* ids = cache->Find(word);
    if (ids == nullptr) ids = &cache->Insert(word, MergeByteLevelWord(s, word));
    out->insert(out->end(), ids->begin(), ids->end());
  }
  return Status::Ok();
}

// Appends the tokens for a character that has no token of its own: its UTF-8 bytes as
// "<0xHH>" tokens, or the unknown token when a byte token is missing.
Status AppendFallback(const State& s, std::string_view ch, std::vector<int32_t>* out) {
  bool all_bytes = true;
  for (char c : ch) all_bytes &= s.byte_ids[static_cast<uint8_t>(c)] >= 0;
  if (all_bytes) {
    for (char c : ch) out->push_back(s.byte_ids[static_cast<uint8_t>(c)]);
  } else if (s.spec.unk_id >= 0) {
    out->push_back(s.spec.unk_id);
  } else {
    return InvalidArgument("the vocabulary cannot represent the character '" + std::string(ch) +
                           "' (no token, no byte fallback, no unknown token)");
  }
  return Status::Ok();
}

Status EncodeSentencePiece(const State& s, std::string_view text, std::vector<int32_t>* out) {
  std::string nfc;
  if (s.spec.nfc) {
    LIEQ_ASSIGN_OR_RETURN(nfc, NfcNormalize(text));
    text = nfc;
  }
  // Normalise as Llama-2's tokenizer.json does: spaces become "▁", and one "▁" goes in front.
  std::string normalized;
  normalized.reserve(text.size() + 8);
  if (s.spec.add_space_prefix) normalized += kSpaceMark;
  for (char c : text) {
    if (c == ' ') {
      normalized += kSpaceMark;
    } else {
      normalized.push_back(c);
    }
  }
  const std::string_view t = normalized;

  if (s.merge_by_score) {
    std::vector<std::string_view> pieces;
    SpmMergeByScore(t, s.index, s.spec.scores, &pieces);
    for (std::string_view piece : pieces) {
      const int32_t id = s.index.Find(piece);
      if (id >= 0) {
        out->push_back(id);
      } else {
        LIEQ_RETURN_IF_ERROR(AppendFallback(s, piece, out));
      }
    }
    return Status::Ok();
  }

  // Hugging Face BPE: characters (or their byte tokens) merged by rank over the whole piece.
  std::vector<int32_t> symbols;
  symbols.reserve(t.size());
  for (size_t pos = 0; pos < t.size();) {
    const size_t n = Utf8SequenceLength(t, pos);
    const std::string_view ch = t.substr(pos, n);
    const int32_t id = s.index.Find(ch);
    if (id >= 0) {
      symbols.push_back(id);
    } else {
      LIEQ_RETURN_IF_ERROR(AppendFallback(s, ch, &symbols));
    }
    pos += n;
  }
  s.ranks.Apply(&symbols);
  out->insert(out->end(), symbols.begin(), symbols.end());
  return Status::Ok();
}

}  // namespace

Result<std::vector<int32_t>> Tokenizer::Encode(std::string_view text, bool add_special,
                                               bool parse_special) const {
  const State& s = *state_;
  LIEQ_RETURN_IF_ERROR(ValidateUtf8(text));
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);  // ~4 bytes per token for English; avoids early regrowth
  if (add_special && s.spec.add_bos && s.spec.bos_id >= 0) ids.push_back(s.spec.bos_id);

  std::vector<AddedTokenMatcher::Fragment> fragments;
  if (s.added.empty()) {
    fragments.push_back({text, -1});
  } else {
    s.added.Split(text, parse_special, &fragments);
  }
  WordCache cache;
  for (const AddedTokenMatcher::Fragment& f : fragments) {
    if (f.id >= 0) {
      ids.push_back(f.id);
    } else if (s.spec.kind == TokenizerSpec::Kind::kByteLevelBpe) {
      LIEQ_RETURN_IF_ERROR(EncodeByteLevel(s, f.text, &cache, &ids));
    } else {
      LIEQ_RETURN_IF_ERROR(EncodeSentencePiece(s, f.text, &ids));
    }
  }

  if (add_special && s.spec.add_eos && s.spec.eos_id >= 0) ids.push_back(s.spec.eos_id);
  return ids;
}

}  // namespace lieq
