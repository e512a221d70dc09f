#include "plan/allocator.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace lieq {
namespace {

// One reachable byte total after blocks 0..l: its cheapest cost and how it was reached.
struct State {
  int64_t units = 0;  // Σ bytes / unit
  double cost = 0;
  int32_t parent = -1;  // index in the previous block's front
  int32_t column = -1;  // width column chosen for this block
};

}  // namespace

Result<Allocation> AllocateOptimal(const AllocationProblem& p) {
  const size_t L = p.cost.size();
  if (L == 0) return InvalidArgument("allocator: no blocks");
  if (p.bytes.size() != L) return InvalidArgument("allocator: cost and byte tables disagree");
  const size_t W = p.cost.front().size();
  if (W == 0) return InvalidArgument("allocator: no candidate widths");
  int64_t unit = 0, min_total = 0;
  for (size_t l = 0; l < L; ++l) {
    if (p.cost[l].size() != W || p.bytes[l].size() != W) {
      return InvalidArgument("allocator: block " + std::to_string(l) +
                             " has a different number of widths");
    }
    for (size_t w = 0; w < W; ++w) {
      if (!std::isfinite(p.cost[l][w])) {
        return InvalidArgument("allocator: the cost of block " + std::to_string(l) +
                               " is missing or not finite");
      }
      if (p.bytes[l][w] < 0) return InvalidArgument("allocator: negative size");
      unit = std::gcd(unit, p.bytes[l][w]);
    }
    min_total += *std::min_element(p.bytes[l].begin(), p.bytes[l].end());
  }
  if (min_total > p.capacity) {
    return InvalidArgument("allocator: infeasible: the smallest plan needs " +
                           std::to_string(min_total) + " bytes, the budget allows " +
                           std::to_string(p.capacity));
  }
  if (unit == 0) unit = 1;  // every size 0
  const int64_t capacity = p.capacity / unit;

  // fronts[l]: the Pareto front after block l, ascending units, strictly descending cost.
  std::vector<std::vector<State>> fronts(L);
  std::vector<State> front = {State{}};
  std::vector<State> next;
  for (size_t l = 0; l < L; ++l) {
    next.clear();
    for (size_t s = 0; s < front.size(); ++s) {
      for (size_t w = 0; w < W; ++w) {
        const int64_t units = front[s].units + p.bytes[l][w] / unit;
        if (units > capacity) continue;
        next.push_back({units, front[s].cost + p.cost[l][w], static_cast<int32_t>(s),
                        static_cast<int32_t>(w)});
      }
    }
    std::stable_sort(next.begin(), next.end(), [](const State& a, const State& b) {
      return a.units != b.units ? a.units < b.units : a.cost < b.cost;
    });
    std::vector<State>& kept = fronts[l];
    for (const State& s : next) {
      if (kept.empty() || s.cost < kept.back().cost) kept.push_back(s);
    }
    if (static_cast<int64_t>(kept.size()) > p.max_states) {
      return InvalidArgument("allocator: more than " + std::to_string(p.max_states) +
                             " distinct sizes to track; the problem is too large to solve "
                             "exactly");
    }
    front = kept;
  }

  Allocation out;
  out.choice.assign(L, 0);
  int32_t at = static_cast<int32_t>(fronts[L - 1].size()) - 1;  // the cheapest state
  for (size_t l = L; l-- > 0;) {
    const State& s = fronts[l][static_cast<size_t>(at)];
    out.choice[l] = s.column;
    at = s.parent;
  }
  for (size_t l = 0; l < L; ++l) {
    out.cost += p.cost[l][static_cast<size_t>(out.choice[l])];
    out.bytes += p.bytes[l][static_cast<size_t>(out.choice[l])];
  }
  return out;
}

}  // namespace lieq
