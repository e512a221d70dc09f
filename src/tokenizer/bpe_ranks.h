// Byte-pair merging by merge rank, as Hugging Face's BPE model does it: of all adjacent pairs
// that have a merge, the one with the lowest rank is merged first, ties going to the leftmost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace lieq {

class BpeRanks {
 public:
  // Registers the merge (left, right) -> merged with the next rank. Returns false, keeping the
  // earlier rank, when the pair already has one.
  bool Add(int32_t left, int32_t right, int32_t merged);

  size_t size() const { return pairs_.size(); }

  // Merges the token ids in `symbols` in place until no adjacent pair has a merge.
  void Apply(std::vector<int32_t>* symbols) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t merged;  // token id of the concatenation
  };
  static uint64_t Key(int32_t left, int32_t right) {
    return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 | static_cast<uint32_t>(right);
  }
  const Merge* Find(int32_t left, int32_t right) const;

  std::unordered_map<uint64_t, Merge> pairs_;  // Key(left, right) -> merge
};

}  // namespace lieq
