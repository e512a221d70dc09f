// The optimal bit allocator: one width per block from a candidate set, minimising the summed
// per-block cost under a byte budget. This is the multiple-choice knapsack
//   minimise Σ_l cost[l][w_l]   subject to   Σ_l bytes[l][w_l] ≤ capacity,
// solved exactly by dynamic programming over bytes: block after block, the set of reachable
// byte totals is kept together with the cheapest way to reach each, pruned to its Pareto front
// (a total that costs no less than a smaller total is dropped). The front never holds more
// states than distinct byte totals ≤ capacity (in units of the gcd of all sizes), so the DP is
// exact at byte granularity; it returns an error rather than approximating if the front would
// exceed `max_states`.
//
// Costs are whatever the caller measures (e.g. the KL divergence of the next-token distribution
// with only block l at width w, analysis/sensitivity.h); the allocator assumes they add up over
// blocks. Bytes are the exact stored sizes of each block at each width, group scales and zeros
// included (plan/model_sizes.h, BlockLinearBytes).
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"

namespace lieq {

struct AllocationProblem {
  std::vector<std::vector<double>> cost;    // [L][W] finite; lower is better
  std::vector<std::vector<int64_t>> bytes;  // [L][W] ≥ 0
  int64_t capacity = 0;                     // bytes
  int64_t max_states = int64_t{1} << 24;    // bound on the Pareto front per block
};

struct Allocation {
  std::vector<int> choice;  // [L] index into the problem's widths (columns)
  double cost = 0;          // Σ cost[l][choice[l]]
  int64_t bytes = 0;        // Σ bytes[l][choice[l]] ≤ capacity
};

// Among optimal allocations the one with the fewest bytes is returned (ties beyond that are
// broken deterministically). Errors: empty or ragged tables, non-finite
// costs, negative sizes, a capacity below the smallest possible total ("infeasible"), a front
// larger than max_states.
Result<Allocation> AllocateOptimal(const AllocationProblem& problem);

}  // namespace lieq
