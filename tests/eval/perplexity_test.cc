#include "eval/perplexity.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/reference_forward.h"

namespace lieq {
namespace {

// exp() of a mean of ~1e3 double NLLs: only double rounding separates it from the closed form.
constexpr double kPplRelativeTolerance = 1e-9;

std::vector<int32_t> Tokens(int n) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((i * 31 + 7) % 97);
  return t;
}

// A zero output head gives equal logits: every token has probability 1/V, so PPL = V exactly.
TEST(PerplexityTest, UniformModelHasPerplexityVocabSize) {
  Model model = testing::MakeRandomModel(testing::TinyConfig(Arch::kLlama), 1);
  model.weights.lm_head = model.Adopt(OwnedTensor::Zeros(DType::kF32, model.weights.lm_head.shape));
  ThreadPool pool(2);
  Transformer t(model, pool);
  PplOptions options;
  options.ctx = 16;
  const auto r = Perplexity(t, Tokens(100), options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NEAR(r->ppl, 97.0, 97.0 * kPplRelativeTolerance);
  EXPECT_NEAR(r->ppl_stderr, 0.0, 1e-6);
}

TEST(PerplexityTest, ProtocolsScoreTheDocumentedTokens) {
  const Model model = testing::MakeRandomModel(testing::TinyConfig(Arch::kQwen3), 2);
  ThreadPool pool(2);
  Transformer t(model, pool);
  PplOptions gptq;
  gptq.ctx = 16;
  const auto a = Perplexity(t, Tokens(100), gptq);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->windows, 6);                // 100 / 16
  EXPECT_EQ(a->tokens_scored, 6 * 15);     // every next token of each window
  PplOptions llama = gptq;
  llama.protocol = PplProtocol::kLlamaCpp;
  const auto b = Perplexity(t, Tokens(100), llama);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->tokens_scored, 6 * (16 - 8 - 1));  // second half, as llama-perplexity
  llama.max_windows = 2;
  EXPECT_EQ(Perplexity(t, Tokens(100), llama)->windows, 2);
}

TEST(PerplexityTest, MatchesReferenceNll) {
  const Model model = testing::MakeRandomModel(testing::TinyConfig(Arch::kQwen2), 3);
  const std::vector<int32_t> tokens = Tokens(12);
  const std::vector<double> logits = testing::ReferenceLogits(model, tokens);
  const int64_t V = model.config.vocab_size;
  double nll = 0;
  for (int p = 0; p < 11; ++p) {
    double max = -1e300, sum = 0;
    for (int64_t v = 0; v < V; ++v) max = std::max(max, logits[p * V + v]);
    for (int64_t v = 0; v < V; ++v) sum += std::exp(logits[p * V + v] - max);
    nll += max + std::log(sum) - logits[p * V + tokens[p + 1]];
  }
  ThreadPool pool(1);
  Transformer t(model, pool);
  PplOptions options;
  options.ctx = 12;
  const auto r = Perplexity(t, tokens, options);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->mean_nll, nll / 11, 1e-5);
}

TEST(PerplexityTest, TooShortTextIsAnError) {
  const Model model = testing::MakeRandomModel(testing::TinyConfig(Arch::kQwen3), 4);
  ThreadPool pool(1);
  Transformer t(model, pool);
  PplOptions options;
  options.ctx = 64;
  const auto r = Perplexity(t, Tokens(10), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fewer than one window"), std::string::npos);
}

}  // namespace
}  // namespace lieq
