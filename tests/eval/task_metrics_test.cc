#include "eval/task_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace lieq {
namespace {

constexpr double kExact = 1e-12;

TEST(TaskMetricsTest, ArgMaxTakesTheFirstMaximum) {
  const std::vector<double> v = {1, 3, 3, 2};
  EXPECT_EQ(ArgMax(v), 1);
}

TEST(TaskMetricsTest, AccNormDividesByChoiceLength) {
  const std::vector<double> ll = {-2.0, -3.0};
  const std::vector<int64_t> len = {1, 6};  // -2/1 < -3/6
  const ChoiceOutcome a = ScoreChoices(ll, len, 0);
  EXPECT_TRUE(a.correct);
  EXPECT_FALSE(a.correct_norm);
  const ChoiceOutcome b = ScoreChoices(ll, len, 1);
  EXPECT_FALSE(b.correct);
  EXPECT_TRUE(b.correct_norm);
}

TEST(TaskMetricsTest, StderrOfZeroOneIsSqrtPQOverNMinusOne) {
  const std::vector<double> v = {1, 0, 0, 1, 1, 1, 0, 1};  // p = 5/8
  const Estimate e = MeanWithStderr(v);
  EXPECT_NEAR(e.value, 0.625, kExact);
  EXPECT_NEAR(e.std_error, std::sqrt(0.625 * 0.375 / 7), kExact);
  EXPECT_EQ(MeanWithStderr(std::vector<double>{1}).std_error, 0.0);
}

TEST(TaskMetricsTest, PerplexityIsExpOfMinusMeanLoglikelihood) {
  const std::vector<double> ll = {-1.0, -3.0};
  const Estimate e = PerplexityOfLoglikelihoods(ll);
  EXPECT_NEAR(e.value, std::exp(2.0), 1e-9);
  EXPECT_NEAR(e.std_error, std::exp(2.0) * 1.0, 1e-9);  // sample sd sqrt(2) / sqrt(2)
}

}  // namespace
}  // namespace lieq
