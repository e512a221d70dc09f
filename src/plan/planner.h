// The LieQ bit allocator: block scores in, one bit-width per block out (a BitPlan).
//
// Two candidate widths {lo, hi} follow the paper's rule: f = (B − lo) / (hi − lo) is the share of
// block linear parameters that may be stored at `hi`; blocks are taken in rank order (most
// deserving first) to `hi` while their cumulative parameter share stays ≤ f. With equal blocks
// the budget is met exactly whenever f·L is an integer; otherwise the plan stays under it.
//
// The optimal rule (`rule = "optimal"`, the default for three or more candidates and for
// rank_by "kl") is the exact multiple-choice knapsack of plan/allocator.h over the blocks' exact
// stored bytes (codes plus FP16 scale and zero per group, BlockLinearBytes) under the byte
// budget of B bits per block linear weight plus the group overheads (for this format the same
// as Σ_l n_l·b_l ≤ B·Σ_l n_l). Its per-block cost is
//   - rank_by "kl": the measured cost, costs[l][w] (analysis/sensitivity.h: mean KL divergence
//     of the next-token distribution with only block l at width w);
//   - a score rule: the score-weighted quantization error s_l · n_l · 4^(−b) (uniform
//     quantization noise power falls by 4× per bit), scores min–max mapped to [0.05, 1];
//   - random / first-last: the same with the rank position as the weight.
// rank_by "kl" with the paper rule ranks blocks by costs[l][lo] − costs[l][hi] (what keeping
// block l at hi saves).
//
// Usage (what `lieq plan` and `lieq quantize --budget` do):
//   PlanRequest r;
//   r.scores = {...};          // [L] higher = keep more bits (e.g. the LieQ proxy)
//   r.block_params = {...};    // [L] linear weight count of each block
//   r.candidates = {2, 4};
//   r.budget = 2.5;
//   r.rank_by = "proxy";       // (the CLI's default is "kl": costs from analysis/sensitivity.h)
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
inline constexpr const char* kRankByNames[] = {"proxy", "ppl",    "combined",
                                               "kl",    "random", "first-last"};
// rule values: paper (two widths, top-m by rank) and optimal (allocator.h).
inline constexpr const char* kRuleNames[] = {"paper", "optimal"};

struct PlanRequest {
  std::vector<double> scores;         // [L] higher = more deserving; may be empty for
                                      // random / first-last
  std::vector<int64_t> block_params;  // [L] linear weights per block (> 0)
  std::vector<int> candidates;        // widths, any order, each in kSupportedBits
  double budget = 0;                  // average bits over block linear weights, lo ≤ B ≤ hi
  std::string rank_by = "proxy";
  // "paper", "optimal", or empty: optimal for rank_by "kl" or three or more widths, else paper.
  std::string rule;
  // rank_by "kl": costs[l][i] for width cost_widths[i]; every candidate must be among them.
  std::vector<int> cost_widths;
  std::vector<std::vector<double>> costs;
  std::string cost_source;  // recorded in the plan, e.g. "kl gptq" (informational)
  uint64_t seed = 0;        // for rank_by == "random"
  int group_size = 128;     // copied into the plan
};

// Errors name the option: "--budget 1.5 is below the lowest candidate width 2", unknown
// --rank-by or --rule, unsupported or repeated --bits, score/parameter counts that disagree,
// --rule paper with other than two widths, kl costs missing for a candidate width.
// The plan's avg_bits_linear is filled; avg_bits_file is left 0 (see model_sizes.h).
Result<BitPlan> PlanBits(const PlanRequest& request);

// Block indices, most deserving first, for a rank_by rule (ties: lower block first).
Result<std::vector<int>> RankBlocks(std::span<const double> scores, int64_t num_blocks,
                                    const std::string& rank_by, uint64_t seed);

// Σ n_l·b_l / Σ n_l.
double AverageBitsLinear(std::span<const int64_t> block_params, std::span<const int> bits);

// The candidate widths when the user names none: {2,3,4,8} for the optimal rule (given, or the
// default for rank_by "kl"), else the paper's {2,4}.
std::string DefaultCandidateWidths(const std::string& rank_by, const std::string& rule);

// Parses "2,4" into widths; errors name the option and the bad item.
Result<std::vector<int>> ParseBitList(const std::string& text, const std::string& option);
// Parses a budget strictly ("2.5"; not "2.5x", not "abc").
Result<double> ParseBudget(const std::string& text);

}  // namespace lieq
