// Finds added tokens (special/control tokens such as "<|im_start|>" and user-defined ones such as
// "<think>") in raw text before any normalisation, so that their text never reaches BPE. At each
// position the longest token wins; the first position with a match wins (leftmost-longest).
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer_spec.h"

namespace lieq {

class AddedTokenMatcher {
 public:
  // A piece of the input: either plain text (id < 0) or one added token.
  struct Fragment {
    std::string_view text;  // for a token, the matched text including stripped whitespace
    int32_t id;
  };

  // `special`: a control or unknown token, matched only when special tokens are parsed.
  // Empty texts (they would match everywhere) and texts that are not valid UTF-8 (a match
  // could cut a character in two) are ignored, as is a second token with the same text.
  void Add(std::string_view text, int32_t id, bool special, const AddedTokenFlags& flags);

  bool empty() const { return tokens_.empty(); }

  // Cuts `text` into fragments, in order. User-defined tokens always match; control and unknown
  // tokens only when `parse_special`.
  void Split(std::string_view text, bool parse_special, std::vector<Fragment>* out) const;

 private:
  struct Entry {
    int32_t id;
    bool special;
    AddedTokenFlags flags;
  };
  // Whether `e` may match text[pos, end) given its flags and `parse_special`.
  bool Accepts(const Entry& e, std::string_view text, size_t pos, size_t end,
               bool parse_special) const;

  // A byte trie over the token texts: node 0 is the root, edges live in one hash map.
  static uint64_t Edge(int32_t node, unsigned char byte) {
    return static_cast<uint64_t>(node) << 8 | byte;
  }
  std::vector<Entry> tokens_;
  std::vector<int32_t> terminal_ = {-1};         // node -> index into tokens_, or -1
  std::unordered_map<uint64_t, int32_t> edges_;  // Edge(node, byte) -> child node
  std::bitset<256> first_bytes_;                 // bytes that start some token
};

}  // namespace lieq
