#include "plan/planner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <numeric>

#include "core/rng.h"
#include "plan/allocator.h"
#include "plan/model_sizes.h"

namespace lieq {
namespace {

// Slack for comparing parameter shares and budgets computed in floating point.
constexpr double kShareEpsilon = 1e-12;
// Scores are mapped to [kMinWeight, 1] for the knapsack so no block's error is free.
constexpr double kMinWeight = 0.05;

bool IsSupportedBits(int b) {
  return std::find(std::begin(kSupportedBits), std::end(kSupportedBits), b) !=
         std::end(kSupportedBits);
}

std::string FormatNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// Knapsack weights: min–max normalised scores in [kMinWeight, 1] (all 1 when scores are
// flat), or for score-free rules the rank position mapped linearly from 1 down to 1/L.
std::vector<double> ImportanceWeights(const PlanRequest& r, std::span<const int> rank) {
  const size_t n = rank.size();
  std::vector<double> w(n, 1.0);
  if (r.rank_by == "random" || r.rank_by == "first-last") {
    for (size_t pos = 0; pos < n; ++pos) {
      w[static_cast<size_t>(rank[pos])] = static_cast<double>(n - pos) / static_cast<double>(n);
    }
    return w;
  }
  const auto [lo, hi] = std::minmax_element(r.scores.begin(), r.scores.end());
  if (*hi - *lo <= 0) return w;
  for (size_t l = 0; l < n; ++l) {
    w[l] = kMinWeight + (1 - kMinWeight) * (r.scores[l] - *lo) / (*hi - *lo);
  }
  return w;
}

// The paper's rule for {lo, hi}: blocks in rank order go to hi while their parameter share
// stays within f = (B − lo) / (hi − lo).
std::vector<int> TwoWidthRule(const PlanRequest& r, std::span<const int> rank, int lo, int hi) {
  const double total = std::accumulate(r.block_params.begin(), r.block_params.end(), 0.0);
  const double f = (r.budget - lo) / (hi - lo);
  std::vector<int> bits(r.block_params.size(), lo);
  double share = 0;
  for (int l : rank) {
    const double next = share + static_cast<double>(r.block_params[static_cast<size_t>(l)]) / total;
    if (next > f + kShareEpsilon) break;
    bits[static_cast<size_t>(l)] = hi;
    share = next;
  }
  return bits;
}

// The optimal rule (allocator.h): exact multiple-choice knapsack over the blocks' stored bytes.
// cost(l, i) is block l's cost at widths[i].
Result<std::vector<int>> OptimalRule(const PlanRequest& r, const std::vector<int>& widths,
                                     const std::function<double(size_t, size_t)>& cost) {
  const size_t L = r.block_params.size();
  AllocationProblem problem;
  double total = 0;
  int64_t overhead = 0;  // scale + zero bytes: the same at every width
  for (size_t l = 0; l < L; ++l) {
    std::vector<double> c;
    std::vector<int64_t> bytes;
    for (size_t i = 0; i < widths.size(); ++i) {
      c.push_back(cost(l, i));
      bytes.push_back(BlockLinearBytes(r.block_params[l], widths[i], r.group_size));
    }
    problem.cost.push_back(std::move(c));
    problem.bytes.push_back(std::move(bytes));
    total += static_cast<double>(r.block_params[l]);
    overhead += BlockLinearBytes(r.block_params[l], 0, r.group_size);
  }
  // B bits per block linear weight, plus the group overheads every plan pays.
  problem.capacity = static_cast<int64_t>(std::floor(r.budget * total / 8 + 1e-9)) + overhead;
  LIEQ_ASSIGN_OR_RETURN(Allocation a, AllocateOptimal(problem));
  std::vector<int> bits(L);
  for (size_t l = 0; l < L; ++l) bits[l] = widths[static_cast<size_t>(a.choice[l])];
  return bits;
}

// costs[l][column of width b] for rank_by kl; errors name the missing width.
Result<std::vector<std::vector<double>>> KlCosts(const PlanRequest& r,
                                                 const std::vector<int>& widths) {
  const size_t L = r.block_params.size();
  if (r.costs.size() != L) {
    return InvalidArgument("--rank-by kl needs measured costs for every block (" +
                           std::to_string(L) + "), got " + std::to_string(r.costs.size()) +
                           " (diagnose with --sensitivity-bits)");
  }
  std::vector<std::vector<double>> out(L);
  for (int b : widths) {
    const auto it = std::find(r.cost_widths.begin(), r.cost_widths.end(), b);
    if (it == r.cost_widths.end()) {
      return InvalidArgument("--rank-by kl: width " + std::to_string(b) +
                             " was not measured (diagnose --sensitivity-bits)");
    }
    const auto column = static_cast<size_t>(it - r.cost_widths.begin());
    for (size_t l = 0; l < L; ++l) {
      if (r.costs[l].size() != r.cost_widths.size() || !std::isfinite(r.costs[l][column])) {
        return InvalidArgument("--rank-by kl: the cost of block " + std::to_string(l) + " at " +
                               std::to_string(b) + " bits is missing or not finite");
      }
      out[l].push_back(r.costs[l][column]);
    }
  }
  return out;
}

}  // namespace

std::string DefaultCandidateWidths(const std::string& rank_by, const std::string& rule) {
  const bool optimal = rule == "optimal" || (rule.empty() && rank_by == "kl");
  return optimal ? "2,3,4,8" : "2,4";
}

Result<std::vector<int>> ParseBitList(const std::string& text, const std::string& option) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    char* end = nullptr;
    const long v = item.empty() ? 0 : std::strtol(item.c_str(), &end, 10);
    if (item.empty() || end != item.c_str() + item.size()) {
      return InvalidArgument(option + " '" + text + "': '" + item + "' is not a whole number");
    }
    out.push_back(static_cast<int>(v));
    start = comma + 1;
  }
  return out;
}

Result<double> ParseBudget(const std::string& text) {
  char* end = nullptr;
  const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    return InvalidArgument("--budget '" + text + "' is not a number (expected e.g. 2.5)");
  }
  return v;
}

double AverageBitsLinear(std::span<const int64_t> block_params, std::span<const int> bits) {
  double weighted = 0, total = 0;
  for (size_t l = 0; l < block_params.size(); ++l) {
    weighted += static_cast<double>(block_params[l]) * bits[l];
    total += static_cast<double>(block_params[l]);
  }
  return total > 0 ? weighted / total : 0;
}

Result<std::vector<int>> RankBlocks(std::span<const double> scores, int64_t num_blocks,
                                    const std::string& rank_by, uint64_t seed) {
  std::vector<int> rank(static_cast<size_t>(num_blocks));
  std::iota(rank.begin(), rank.end(), 0);
  if (rank_by == "random") {
    Rng rng(seed);
    for (size_t i = rank.size(); i > 1; --i) {  // Fisher–Yates
      const size_t j = static_cast<size_t>(rng.NextU64() % i);
      std::swap(rank[i - 1], rank[j]);
    }
  } else if (rank_by == "first-last") {
    for (int64_t pos = 0; pos < num_blocks; ++pos) {
      rank[static_cast<size_t>(pos)] =
          static_cast<int>(pos % 2 == 0 ? pos / 2 : num_blocks - 1 - pos / 2);
    }
  } else if (rank_by == "proxy" || rank_by == "ppl" || rank_by == "combined" || rank_by == "kl") {
    if (static_cast<int64_t>(scores.size()) != num_blocks) {
      return InvalidArgument("--rank-by " + rank_by + " needs one score per block (" +
                             std::to_string(num_blocks) + "), got " +
                             std::to_string(scores.size()));
    }
    for (size_t l = 0; l < scores.size(); ++l) {
      if (!std::isfinite(scores[l])) {
        return InvalidArgument("--rank-by " + rank_by + ": the score of block " +
                               std::to_string(l) + " is missing or not finite");
      }
    }
    std::stable_sort(rank.begin(), rank.end(), [&](int a, int b) {
      return scores[static_cast<size_t>(a)] > scores[static_cast<size_t>(b)];
    });
  } else {
    return InvalidArgument("--rank-by '" + rank_by +
                           "' is unknown (proxy, ppl, combined, kl, random, first-last)");
  }
  return rank;
}

Result<BitPlan> PlanBits(const PlanRequest& r) {
  const auto L = static_cast<int64_t>(r.block_params.size());
  if (L == 0) return InvalidArgument("the model has no blocks to plan");
  for (int64_t n : r.block_params) {
    if (n <= 0) return InvalidArgument("every block needs a positive linear parameter count");
  }
  if (r.candidates.empty()) return InvalidArgument("--bits names no width");
  std::vector<int> widths = r.candidates;
  std::sort(widths.begin(), widths.end());
  for (size_t i = 0; i < widths.size(); ++i) {
    if (!IsSupportedBits(widths[i])) {
      return InvalidArgument("--bits: width " + std::to_string(widths[i]) +
                             " is not supported (2, 3, 4, 8)");
    }
    if (i > 0 && widths[i] == widths[i - 1]) {
      return InvalidArgument("--bits: width " + std::to_string(widths[i]) + " is repeated");
    }
  }
  const int lo = widths.front(), hi = widths.back();
  if (!std::isfinite(r.budget)) return InvalidArgument("--budget is not a finite number");
  if (r.budget < lo - kShareEpsilon) {
    return InvalidArgument("--budget " + FormatNumber(r.budget) +
                           " is below the lowest candidate width " + std::to_string(lo));
  }
  if (r.budget > hi + kShareEpsilon) {
    return InvalidArgument("--budget " + FormatNumber(r.budget) +
                           " is above the highest candidate width " + std::to_string(hi));
  }
  std::string rule = r.rule;
  if (rule.empty()) rule = (r.rank_by == "kl" || widths.size() > 2) ? "optimal" : "paper";
  if (rule != "paper" && rule != "optimal") {
    return InvalidArgument("--rule '" + rule + "' is unknown (paper, optimal)");
  }
  if (rule == "paper" && widths.size() > 2) {
    return InvalidArgument("--rule paper takes two widths (--bits lo,hi), got " +
                           std::to_string(widths.size()));
  }
  std::vector<std::vector<double>> kl;
  std::vector<double> scores = r.scores;
  if (r.rank_by == "kl") {
    LIEQ_ASSIGN_OR_RETURN(kl, KlCosts(r, widths));
    scores.assign(static_cast<size_t>(L), 0.0);  // what keeping block l at hi saves
    for (size_t l = 0; l < kl.size(); ++l) scores[l] = kl[l].front() - kl[l].back();
  }
  const bool needs_scores = r.rank_by != "random" && r.rank_by != "first-last";
  LIEQ_ASSIGN_OR_RETURN(
      std::vector<int> rank,
      RankBlocks(needs_scores ? std::span<const double>(scores) : std::span<const double>(), L,
                 r.rank_by, r.seed));

  BitPlan plan;
  plan.num_blocks = L;
  plan.candidates = widths;
  plan.group_size = r.group_size;
  plan.budget = r.budget;
  plan.rank_by = r.rank_by;
  plan.rule = rule;
  plan.rank = rank;
  plan.seed = r.seed;
  if (widths.size() == 1) {
    plan.bits.assign(static_cast<size_t>(L), lo);
  } else if (rule == "paper") {
    plan.bits = TwoWidthRule(r, rank, lo, hi);
  } else if (r.rank_by == "kl") {
    plan.cost = "measured" + (r.cost_source.empty() ? std::string() : " " + r.cost_source);
    LIEQ_ASSIGN_OR_RETURN(plan.bits,
                          OptimalRule(r, widths, [&](size_t l, size_t i) { return kl[l][i]; }));
  } else {
    PlanRequest weighted = r;
    weighted.scores = scores;
    const std::vector<double> weight = ImportanceWeights(weighted, rank);
    plan.cost = "weight * params * 4^-bits";
    LIEQ_ASSIGN_OR_RETURN(plan.bits, OptimalRule(r, widths, [&](size_t l, size_t i) {
                            return weight[l] * static_cast<double>(r.block_params[l]) *
                                   std::pow(4.0, -widths[i]);
                          }));
  }
  plan.avg_bits_linear = AverageBitsLinear(r.block_params, plan.bits);
  return plan;
}

}  // namespace lieq
