#include "tokenizer/spm_merge.h"

#include <cstdint>
#include <queue>

#include "tokenizer/utf8.h"

namespace lieq {
namespace {

// One piece of the text, in a doubly linked list over the initial characters.
struct Node {
  size_t start;
  size_t length;  // 0 once merged into its left neighbour
  int32_t prev;   // -1 at the start
  int32_t next;   // -1 at the end
};

// The pair at `pos` and its right neighbour, with the lengths they had when it was queued:
// lengths only grow, so equal lengths mean the pair is unchanged.
struct Candidate {
  float score;
  int32_t pos;
  size_t left_length;
  size_t right_length;
  // Highest score first, then leftmost (std::priority_queue pops the largest).
  bool operator<(const Candidate& o) const {
    return score != o.score ? score < o.score : pos > o.pos;
  }
};

}  // namespace

void SpmMergeByScore(std::string_view text, const TokenIndex& index, std::span<const float> scores,
                     std::vector<std::string_view>* pieces) {
  std::vector<Node> nodes;
  for (size_t pos = 0; pos < text.size();) {
    const size_t n = Utf8SequenceLength(text, pos);
    const int32_t i = static_cast<int32_t>(nodes.size());
    nodes.push_back({pos, n, i - 1, -1});
    if (i > 0) nodes[i - 1].next = i;
    pos += n;
  }
  if (nodes.empty()) return;

  std::priority_queue<Candidate> queue;
  const auto consider = [&](int32_t pos) {
    const int32_t next = nodes[pos].next;
    if (next < 0) return;
    const Node& l = nodes[pos];
    const Node& r = nodes[next];
    const int32_t id = index.Find(text.substr(l.start, l.length + r.length));
    if (id < 0 || static_cast<size_t>(id) >= scores.size()) return;
    queue.push({scores[id], pos, l.length, r.length});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(nodes.size()); ++i) consider(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Node& left = nodes[c.pos];
    if (left.length != c.left_length || left.next < 0 ||
        nodes[left.next].length != c.right_length) {
      continue;  // stale: one side has merged since
    }
    Node& right = nodes[left.next];
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (left.next >= 0) nodes[left.next].prev = c.pos;
    if (left.prev >= 0) consider(left.prev);
    consider(c.pos);
  }

  for (int32_t i = 0; i >= 0; i = nodes[i].next) {
    pieces->push_back(text.substr(nodes[i].start, nodes[i].length));
  }
}

}  // namespace lieq
