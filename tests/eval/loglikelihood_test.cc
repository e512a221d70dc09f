#include "eval/loglikelihood.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/reference_forward.h"

namespace lieq {
namespace {

// Summed log-softmax over a few float32 rows against the double reference forward pass.
constexpr double kLoglikTolerance = 2e-4;

struct Expected {
  double loglik = 0;
  bool greedy = true;
};

// Reference: run context + continuation minus the last token (left-truncated to max_length + 1
// tokens first), score the continuation's tokens.
Expected ReferenceScore(const Model& model, const TokenizedRequest& r, int64_t max_length) {
  std::vector<int32_t> full = r.context;
  full.insert(full.end(), r.continuation.begin(), r.continuation.end());
  const int64_t keep = std::min<int64_t>(static_cast<int64_t>(full.size()), max_length + 1);
  const std::vector<int32_t> input(full.end() - keep, full.end() - 1);
  const std::vector<double> logits = testing::ReferenceLogits(model, input);
  const int64_t V = model.config.vocab_size;
  const int64_t first = static_cast<int64_t>(input.size() - r.continuation.size());
  Expected e;
  for (size_t j = 0; j < r.continuation.size(); ++j) {
    const double* row = logits.data() + (first + static_cast<int64_t>(j)) * V;
    double max = row[0];
    int64_t best = 0;
    for (int64_t v = 1; v < V; ++v) {
      if (row[v] > max) max = row[v], best = v;
    }
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(row[v] - max);
    e.loglik += row[r.continuation[j]] - max - std::log(sum);
    e.greedy = e.greedy && best == r.continuation[j];
  }
  return e;
}

void ExpectMatchesReference(const Model& model, const std::vector<TokenizedRequest>& requests,
                            int64_t max_length) {
  ThreadPool pool(2);
  Transformer t(model, pool);
  LoglikelihoodScorer scorer(t, max_length);
  const Result<std::vector<RequestScore>> scores = scorer.Score(requests);
  ASSERT_TRUE(scores.ok()) << scores.status().message();
  ASSERT_EQ(scores->size(), requests.size());
  for (size_t r = 0; r < requests.size(); ++r) {
    const Expected e = ReferenceScore(model, requests[r], max_length);
    EXPECT_NEAR((*scores)[r].loglikelihood, e.loglik, kLoglikTolerance) << "request " << r;
    EXPECT_EQ((*scores)[r].greedy, e.greedy) << "request " << r;
  }
}

TEST(LoglikelihoodTest, SharedContextScoresEachContinuationAsAlone) {
  const Model model = testing::MakeRandomModel(testing::TinyConfig(Arch::kQwen3), 11);
  const std::vector<int32_t> context = {5, 17, 42, 8, 61, 3};
  ExpectMatchesReference(
      model,
      {{context, {9}}, {context, {70, 71, 72}}, {context, {9, 10}}, {context, {33, 1, 2, 3, 4}}},
      256);
}

TEST(LoglikelihoodTest, DifferentContextsWithACommonContinuation) {
  // WinoGrande's shape: the contexts differ in their last tokens, the continuation is shared.
  const Model model = testing::MakeRandomModel(testing::TinyConfig(Arch::kLlama), 12);
  const std::vector<int32_t> cont = {14, 15, 16};
  ExpectMatchesReference(model, {{{1, 2, 3, 50}, cont}, {{1, 2, 3, 60, 61}, cont}, {{7}, cont}},
                         256);
}

TEST(LoglikelihoodTest, LongInputsAreLeftTruncated) {
  const Model model = testing::MakeRandomModel(testing::TinyConfig(Arch::kQwen2), 13);
  std::vector<int32_t> context;
  for (int i = 0; i < 20; ++i) context.push_back((i * 7 + 3) % 97);
  const std::vector<TokenizedRequest> requests = {{context, {4, 5}}, {context, {6, 7, 8}}};
  ExpectMatchesReference(model, requests, 8);
  ThreadPool pool(1);
  Transformer t(model, pool);
  LoglikelihoodScorer scorer(t, 8);
  const auto scores = scorer.Score(requests);
  ASSERT_TRUE(scores.ok());
  EXPECT_TRUE((*scores)[0].truncated);
  LoglikelihoodScorer short_scorer(t, 2);
  EXPECT_FALSE(short_scorer.Score(requests).ok());  // 3 continuation tokens > 2 positions
}

TEST(LoglikelihoodTest, ContextIsRunOnceForAllChoices) {
  const Model model = testing::MakeRandomModel(testing::TinyConfig(Arch::kQwen3), 14);
  ThreadPool pool(1);
  Transformer t(model, pool);
  LoglikelihoodScorer scorer(t, 256);
  const std::vector<int32_t> context(30, 4);
  ASSERT_TRUE(
      scorer.Score(std::vector<TokenizedRequest>{{context, {1, 2}}, {context, {3, 4}}}).ok());
  EXPECT_EQ(scorer.tokens_run(), 30 + 2 * 1);  // context once, then each continuation's rest
}

}  // namespace
}  // namespace lieq
