// The LieQ bit allocator: block scores in, one bit-width per block out (a BitPlan).
//
// Two candidate widths {lo, hi} follow the paper's rule: f = (B − lo) / (hi − lo) is the share of
// block linear parameters that may be stored at `hi`; blocks are taken in rank order (most
// deserving first) to `hi` while their cumulative parameter share stays ≤ f. With equal blocks
// the budget is met exactly whenever f·L is an integer; otherwise the plan stays under it.
//
// Three or more candidates (e.g. 2,3,4) use an exact multiple-choice knapsack: minimise the
// score-weighted quantization error Σ_l s_l · n_l · 4^(−b_l) (uniform quantization noise power
// falls by 4× per bit) subject to Σ_l n_l·b_l ≤ B·Σ_l n_l, by dynamic programming over the
// budget in units of gcd(n_l).
//
// Usage (what `lieq plan` and `lieq quantize --budget` do):
//   PlanRequest r;
//   r.scores = {...};          // [L] higher = keep more bits (e.g. the LieQ proxy)
//   r.block_params = {...};    // [L] linear weight count of each block
//   r.candidates = {2, 4};
//   r.budget = 2.5;
//   r.rank_by = "proxy";
//   LIEQ_ASSIGN_OR_RETURN(BitPlan plan, PlanBits(r));
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "plan/bit_plan.h"

namespace lieq {

// rank_by values PlanBits accepts. proxy, ppl and combined rank by `scores` (descending);
// random shuffles with `seed`; first-last takes blocks 0, L−1, 1, L−2, … (no scores needed).
inline constexpr const char* kRankByNames[] = {"proxy", "ppl", "combined", "random", "first-last"};

struct PlanRequest {
  std::vector<double> scores;         // [L] higher = more deserving; may be empty for
                                      // random / first-last
  std::vector<int64_t> block_params;  // [L] linear weights per block (> 0)
  std::vector<int> candidates;        // widths, any order, each in kSupportedBits
  double budget = 0;                  // average bits over block linear weights, lo ≤ B ≤ hi
  std::string rank_by = "proxy";
  uint64_t seed = 0;     // for rank_by == "random"
  int group_size = 128;  // copied into the plan
};

// Errors name the option: "--budget 1.5 is below the lowest candidate width 2", unknown
// --rank-by, unsupported or repeated --bits, score/parameter counts that disagree.
// The plan's avg_bits_linear is filled; avg_bits_file is left 0 (see model_sizes.h).
Result<BitPlan> PlanBits(const PlanRequest& request);

// Block indices, most deserving first, for a rank_by rule (ties: lower block first).
Result<std::vector<int>> RankBlocks(std::span<const double> scores, int64_t num_blocks,
                                    const std::string& rank_by, uint64_t seed);

// Σ n_l·b_l / Σ n_l.
double AverageBitsLinear(std::span<const int64_t> block_params, std::span<const int> bits);

// Parses "2,4" into widths; errors name the option and the bad item.
Result<std::vector<int>> ParseBitList(const std::string& text, const std::string& option);
// Parses a budget strictly ("2.5"; not "2.5x", not "abc").
Result<double> ParseBudget(const std::string& text);

}  // namespace lieq
