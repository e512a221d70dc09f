#include "tokenizer/added_tokens.h"

#include <utf8proc.h>

#include "tokenizer/utf8.h"

namespace lieq {
namespace {

// Whitespace swallowed by lstrip/rstrip. ASCII only: the flags exist for tokens such as
// "<mask>" that absorb an ordinary space, and no supported model sets them.
bool IsStripSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool IsWordCodePoint(char32_t cp) {
  if (cp == '_') return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

// Whether the character that ends just before `pos` is a word character.
bool WordBefore(std::string_view text, size_t pos) {
  if (pos == 0) return false;
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  if (Utf8SequenceLength(text, start) != pos - start) return false;
  return IsWordCodePoint(DecodeUtf8(text, &start));
}

// Whether the character that starts at `pos` is a word character.
bool WordAt(std::string_view text, size_t pos) {
  if (pos >= text.size() || Utf8SequenceLength(text, pos) == 0) return false;
  return IsWordCodePoint(DecodeUtf8(text, &pos));
}

}  // namespace

void AddedTokenMatcher::Add(std::string_view text, int32_t id, bool special,
                            const AddedTokenFlags& flags) {
  if (text.empty() || !ValidateUtf8(text).ok()) return;
  int32_t node = 0;
  for (char c : text) {
    auto [it, inserted] = edges_.emplace(Edge(node, static_cast<unsigned char>(c)),
                                         static_cast<int32_t>(terminal_.size()));
    if (inserted) terminal_.push_back(-1);
    node = it->second;
  }
  if (terminal_[node] >= 0) return;  // same text as an earlier token: the first one wins
  terminal_[node] = static_cast<int32_t>(tokens_.size());
  tokens_.push_back({id, special, flags});
  first_bytes_.set(static_cast<unsigned char>(text[0]));
}

bool AddedTokenMatcher::Accepts(const Entry& e, std::string_view text, size_t pos, size_t end,
                                bool parse_special) const {
  if (e.special && !parse_special) return false;
  return !e.flags.single_word || (!WordBefore(text, pos) && !WordAt(text, end));
}

void AddedTokenMatcher::Split(std::string_view text, bool parse_special,
                              std::vector<Fragment>* out) const {
  std::vector<std::pair<size_t, int32_t>> ends;  // (end offset, token index) along the trie path
  size_t emitted = 0;                            // text before this offset is in `out`
  size_t pos = 0;
  while (pos < text.size()) {
    if (!first_bytes_.test(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      continue;
    }
    ends.clear();
    int32_t node = 0;
    for (size_t j = pos; j < text.size(); ++j) {
      auto it = edges_.find(Edge(node, static_cast<unsigned char>(text[j])));
      if (it == edges_.end()) break;
      node = it->second;
      if (terminal_[node] >= 0) ends.emplace_back(j + 1, terminal_[node]);
    }
    // Longest acceptable match at this position.
    const Entry* found = nullptr;
    size_t end = 0;
    for (auto e = ends.rbegin(); e != ends.rend(); ++e) {
      if (Accepts(tokens_[e->second], text, pos, e->first, parse_special)) {
        found = &tokens_[e->second];
        end = e->first;
        break;
      }
    }
    if (found == nullptr) {
      ++pos;
      continue;
    }
    size_t start = pos;
    if (found->flags.lstrip) {
      while (start > emitted && IsStripSpace(text[start - 1])) --start;
    }
    if (found->flags.rstrip) {
      while (end < text.size() && IsStripSpace(text[end])) ++end;
    }
    if (start > emitted) out->push_back({text.substr(emitted, start - emitted), -1});
    out->push_back({text.substr(start, end - start), found->id});
    pos = emitted = end;
  }
  if (emitted < text.size()) out->push_back({text.substr(emitted), -1});
}

}  // namespace lieq
