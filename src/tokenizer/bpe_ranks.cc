#include "tokenizer/bpe_ranks.h"

#include <functional>
#include <queue>

namespace lieq {
namespace {

// A pair that may be merged: the symbol at `pos` (holding `left`) and its right neighbour
// (holding `right`). Entries go stale when either side changes; they are checked when popped.
struct Candidate {
  int32_t rank;
  int32_t pos;
  int32_t left;
  int32_t right;
  int32_t merged;
  // Lowest rank first, then leftmost: std::priority_queue pops the largest, so invert.
  bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

// One symbol of the word being merged, in a doubly linked list over the original positions.
struct Node {
  int32_t id;    // token id, or -1 once merged into its left neighbour
  int32_t prev;  // -1 at the start
  int32_t next;  // -1 at the end
};

}  // namespace

bool BpeRanks::Add(int32_t left, int32_t right, int32_t merged) {
  const int32_t rank = static_cast<int32_t>(pairs_.size());
  return pairs_.emplace(Key(left, right), Merge{rank, merged}).second;
}

const BpeRanks::Merge* BpeRanks::Find(int32_t left, int32_t right) const {
  auto it = pairs_.find(Key(left, right));
  return it == pairs_.end() ? nullptr : &it->second;
}

void BpeRanks::Apply(std::vector<int32_t>* symbols) const {
  const int32_t n = static_cast<int32_t>(symbols->size());
  if (n < 2) return;
  std::vector<Node> nodes(n);
  for (int32_t i = 0; i < n; ++i) nodes[i] = {(*symbols)[i], i - 1, i + 1 < n ? i + 1 : -1};

  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  const auto consider = [&](int32_t pos) {
    const int32_t next = nodes[pos].next;
    if (next < 0) return;
    if (const Merge* m = Find(nodes[pos].id, nodes[next].id)) {
      queue.push({m->rank, pos, nodes[pos].id, nodes[next].id, m->merged});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Node& left = nodes[c.pos];
    // A symbol's id only ever changes by merging with its right neighbour, and a merged id
    // differs from both parts, so matching ids mean the pair is still there.
    if (left.id != c.left || left.next < 0 || nodes[left.next].id != c.right) continue;
    Node& right = nodes[left.next];
    left.id = c.merged;
    right.id = -1;
    left.next = right.next;
    if (left.next >= 0) nodes[left.next].prev = c.pos;
    if (left.prev >= 0) consider(left.prev);
    consider(c.pos);
  }

  symbols->clear();
  for (int32_t i = 0; i >= 0; i = nodes[i].next) symbols->push_back(nodes[i].id);
}

}  // namespace lieq
