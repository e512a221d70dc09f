// PlanBits: the paper's two-width rule, the knapsack for more widths, budgets and errors.
#include "plan/planner.h"

#include <gtest/gtest.h>

#include <numeric>

#include "io/random_model.h"
#include "plan/model_sizes.h"

namespace lieq {
namespace {

// Averages are ratios of integers computed in double.
constexpr double kBitsTolerance = 1e-12;

PlanRequest EqualBlocks(int blocks, std::vector<int> candidates, double budget,
                        std::string rank_by = "proxy") {
  PlanRequest r;
  r.block_params.assign(static_cast<size_t>(blocks), 1'000'000);
  r.scores.resize(static_cast<size_t>(blocks));
  for (int l = 0; l < blocks; ++l)
    r.scores[static_cast<size_t>(l)] = (l * 7919) % 101;  // a fixed shuffle
  r.candidates = std::move(candidates);
  r.budget = budget;
  r.rank_by = std::move(rank_by);
  return r;
}

TEST(PlannerTest, PaperExampleOneFourBitBlockAmong36) {
  PlanRequest r = EqualBlocks(36, {2, 4}, 2.0 + 2.0 / 36);
  Result<BitPlan> plan = PlanBits(r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(std::count(plan->bits.begin(), plan->bits.end(), 4), 1);
  EXPECT_NEAR(plan->avg_bits_linear, 2.0556, 1e-4);
}

TEST(PlannerTest, TwoWidthsMeetTheBudgetExactlyAndFollowTheRank) {
  for (double budget : {2.0, 2.25, 2.5, 3.0, 3.75, 4.0}) {
    PlanRequest r = EqualBlocks(16, {2, 4}, budget);
    Result<BitPlan> plan = PlanBits(r);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_NEAR(plan->avg_bits_linear, budget, kBitsTolerance) << budget;
    // Every 4-bit block scores at least as high as every 2-bit block.
    double min_hi = 1e9, max_lo = -1e9;
    for (size_t l = 0; l < plan->bits.size(); ++l) {
      if (plan->bits[l] == 4) {
        min_hi = std::min(min_hi, r.scores[l]);
      } else {
        max_lo = std::max(max_lo, r.scores[l]);
      }
    }
    EXPECT_GE(min_hi, max_lo);
  }
}

TEST(PlannerTest, UnreachableBudgetStaysBelowIt) {
  PlanRequest r = EqualBlocks(16, {2, 4}, 2.2);  // 1.6 blocks: only one fits
  Result<BitPlan> plan = PlanBits(r);
  ASSERT_TRUE(plan.ok());
  EXPECT_NEAR(plan->avg_bits_linear, 2.125, kBitsTolerance);
}

TEST(PlannerTest, ThreeWidthsMeetTheBudgetExactly) {
  for (double budget : {2.0, 2.5, 3.0, 3.25, 4.0}) {
    PlanRequest r = EqualBlocks(16, {2, 3, 4}, budget);
    Result<BitPlan> plan = PlanBits(r);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_NEAR(plan->avg_bits_linear, budget, kBitsTolerance) << budget;
  }
}

TEST(PlannerTest, KnapsackGivesMoreBitsToHigherScores) {
  PlanRequest r = EqualBlocks(8, {2, 3, 4}, 3.0);
  r.scores = {0, 1, 2, 3, 4, 5, 6, 100};
  Result<BitPlan> plan = PlanBits(r);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->bits.back(), 4);
  for (size_t l = 1; l < plan->bits.size(); ++l) EXPECT_GE(plan->bits[l], plan->bits[l - 1]);
}

TEST(PlannerTest, DeterministicForASeedAndDifferentAcrossSeeds) {
  PlanRequest r = EqualBlocks(24, {2, 4}, 2.5, "random");
  r.scores.clear();
  r.seed = 11;
  Result<BitPlan> a = PlanBits(r), b = PlanBits(r);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->bits, b->bits);
  EXPECT_EQ(a->rank, b->rank);
  r.seed = 12;
  Result<BitPlan> c = PlanBits(r);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->rank, c->rank);
  EXPECT_NEAR(c->avg_bits_linear, 2.5, kBitsTolerance);
}

TEST(PlannerTest, FirstLastTakesTheOuterBlocks) {
  PlanRequest r = EqualBlocks(10, {2, 4}, 2.4, "first-last");
  Result<BitPlan> plan = PlanBits(r);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->bits, (std::vector<int>{4, 2, 2, 2, 2, 2, 2, 2, 2, 4}));
}

TEST(PlannerTest, UnequalBlocksUseParameterShares) {
  PlanRequest r;
  r.block_params = {300, 100, 100, 500};
  r.scores = {4, 3, 2, 1};
  r.candidates = {2, 4};
  r.budget = 2.8;  // f = 0.4: block 0 (0.3) and block 1 (0.1)
  Result<BitPlan> plan = PlanBits(r);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->bits, (std::vector<int>{4, 4, 2, 2}));
  EXPECT_NEAR(plan->avg_bits_linear, 2.8, kBitsTolerance);
}

TEST(PlannerTest, BadBudgetsAndOptionsGiveClearErrors) {
  auto error = [](PlanRequest r) { return PlanBits(r).status().message(); };
  EXPECT_NE(error(EqualBlocks(4, {2, 4}, 1.5)).find("below the lowest"), std::string::npos);
  EXPECT_NE(error(EqualBlocks(4, {2, 4}, 4.5)).find("above the highest"), std::string::npos);
  EXPECT_NE(error(EqualBlocks(4, {2, 5}, 3)).find("not supported"), std::string::npos);
  EXPECT_NE(error(EqualBlocks(4, {2, 2}, 2)).find("repeated"), std::string::npos);
  EXPECT_NE(error(EqualBlocks(4, {2, 4}, 3, "best")).find("--rank-by 'best' is unknown"),
            std::string::npos);
  PlanRequest short_scores = EqualBlocks(4, {2, 4}, 3);
  short_scores.scores.pop_back();
  EXPECT_NE(error(short_scores).find("one score per block"), std::string::npos);

  EXPECT_FALSE(ParseBudget("abc").ok());
  EXPECT_FALSE(ParseBudget("2.5x").ok());
  EXPECT_FALSE(ParseBudget("").ok());
  EXPECT_NE(ParseBudget("two").status().message().find("--budget 'two' is not a number"),
            std::string::npos);
  ASSERT_TRUE(ParseBudget("2.5").ok());
  EXPECT_EQ(*ParseBudget("2.5"), 2.5);
  EXPECT_FALSE(ParseBitList("2,x", "--bits").ok());
  EXPECT_FALSE(ParseBitList("2,,4", "--bits").ok());
  EXPECT_EQ(*ParseBitList("2,3,4", "--bits"), (std::vector<int>{2, 3, 4}));
}

// Measured costs: block l at width cost_widths[i] costs costs[l][i].
PlanRequest KlBlocks(std::vector<std::vector<double>> costs, std::vector<int> candidates,
                     double budget) {
  PlanRequest r = EqualBlocks(static_cast<int>(costs.size()), std::move(candidates), budget, "kl");
  r.scores.clear();
  r.cost_widths = {2, 3, 4, 8};
  r.costs = std::move(costs);
  return r;
}

TEST(PlannerTest, KlOptimalSpendsBitsWhereTheMeasuredCostFallsMost) {
  // Block 0 is fragile at 2 and 3 bits, block 3 only at 2 bits, the rest barely care.
  PlanRequest r = KlBlocks(
      {{9.0, 5.0, 0.1, 0.0}, {0.2, 0.1, 0.05, 0.0}, {0.2, 0.1, 0.05, 0.0}, {3.0, 0.2, 0.1, 0.0}},
      {2, 3, 4, 8}, 2.75);  // 3 extra bits among 4 blocks
  Result<BitPlan> plan = PlanBits(r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->rule, "optimal");
  EXPECT_EQ(plan->rank_by, "kl");
  EXPECT_EQ(plan->bits, (std::vector<int>{4, 2, 2, 3}));  // saves 8.9 + 2.8
  EXPECT_NEAR(plan->avg_bits_linear, 2.75, kBitsTolerance);
  EXPECT_EQ(plan->rank.front(), 0);  // ranked by cost(2) − cost(8)
}

TEST(PlannerTest, KlPaperRuleRanksByTheSavingOfTheHighWidth) {
  PlanRequest r = KlBlocks({{1.0, 0, 0.5, 0}, {4.0, 0, 0.1, 0}, {2.0, 0, 1.5, 0}, {0.5, 0, 0, 0}},
                           {2, 4}, 3.0);  // two of four blocks at 4 bits
  r.rule = "paper";
  Result<BitPlan> plan = PlanBits(r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->rule, "paper");
  // Savings cost(2) − cost(4): 0.5, 3.9, 0.5, 0.5 → block 1, then block 0 (ties: lower first).
  EXPECT_EQ(plan->bits, (std::vector<int>{4, 4, 2, 2}));
}

TEST(PlannerTest, RulesDefaultByWidthCountAndSignal) {
  Result<BitPlan> two = PlanBits(EqualBlocks(8, {2, 4}, 2.5));
  Result<BitPlan> three = PlanBits(EqualBlocks(8, {2, 3, 4}, 2.5));
  ASSERT_TRUE(two.ok() && three.ok());
  EXPECT_EQ(two->rule, "paper");
  EXPECT_EQ(three->rule, "optimal");
  PlanRequest optimal_two = EqualBlocks(8, {2, 4}, 2.5);
  optimal_two.rule = "optimal";
  Result<BitPlan> o = PlanBits(optimal_two);
  ASSERT_TRUE(o.ok());
  // With two widths and a score-weighted error, the optimal rule protects the top-scored blocks
  // as the paper rule does.
  EXPECT_EQ(o->bits, two->bits);
}

TEST(PlannerTest, RuleAndKlErrorsAreClear) {
  auto error = [](PlanRequest r) { return PlanBits(r).status().message(); };
  PlanRequest r = EqualBlocks(4, {2, 3, 4}, 3);
  r.rule = "paper";
  EXPECT_NE(error(r).find("--rule paper takes two widths"), std::string::npos);
  r.rule = "greedy";
  EXPECT_NE(error(r).find("--rule 'greedy' is unknown"), std::string::npos);
  PlanRequest kl = EqualBlocks(4, {2, 4}, 3, "kl");
  EXPECT_NE(error(kl).find("--rank-by kl needs measured costs"), std::string::npos);
  kl.cost_widths = {2, 3};
  kl.costs.assign(4, {1.0, 0.5});
  EXPECT_NE(error(kl).find("width 4 was not measured"), std::string::npos);
}

TEST(ModelSizesTest, BlockBytesCountCodesScalesAndZeros) {
  // 1024 weights in groups of 128: 8 groups × (2 + 2) bytes of FP16 scale and zero.
  EXPECT_EQ(BlockLinearBytes(1024, 2, 128), 256 + 32);
  EXPECT_EQ(BlockLinearBytes(1024, 3, 128), 384 + 32);
  EXPECT_EQ(BlockLinearBytes(1024, 8, 32), 1024 + 128);
}

TEST(ModelSizesTest, FileBitsCountEmbeddingsOnceWhenTiedAndGroupOverheads) {
  Result<ModelConfig> config = PresetConfig("qwen3-0.6b");
  ASSERT_TRUE(config.ok());
  const ModelSizes sizes = ModelSizesFromConfig(*config, 16);
  ASSERT_EQ(sizes.block_linear_params.size(), 28u);
  const int64_t d = 1024, ff = 3072, q = 2048, kv = 1024;
  EXPECT_EQ(sizes.block_linear_params[0], q * d + 2 * kv * d + d * q + 3 * ff * d);
  EXPECT_EQ(sizes.head_params, 0);  // tied
  EXPECT_EQ(sizes.embed_params, config->vocab_size * d);
  const std::vector<int> bits(28, 2);
  // By hand: linear at 2 + 32/128 bits; everything else at 16 bits.
  const double linear = 28.0 * static_cast<double>(sizes.block_linear_params[0]);
  const double other =
      static_cast<double>(sizes.embed_params + sizes.final_norm_params) +
      std::accumulate(sizes.block_other_params.begin(), sizes.block_other_params.end(), 0.0);
  const double expected = (linear * 2.25 + other * 16) / (linear + other);
  EXPECT_NEAR(AverageBitsFile(sizes, bits, 128), expected, 1e-9);
}

}  // namespace
}  // namespace lieq
