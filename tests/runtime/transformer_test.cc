#include "runtime/transformer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/thread_pool.h"
#include "reference_forward.h"

namespace lieq {
namespace {

using testing::MakeRandomModel;
using testing::ReferenceLogits;
using testing::TinyConfig;

// float32 engine vs double reference: activations are O(1) after RMSNorm and the logits
// O(0.1-1); accumulated float rounding over 3 blocks stays far below this.
constexpr double kF32LogitTolerance = 2e-4;
// The KV-cache path sums the same products in the same order as prefill except inside BLAS
// (different GEMM blocking for n = 1), so only rounding-level differences are allowed.
constexpr double kDecodeVsPrefillTolerance = 1e-5;

const std::vector<int32_t> kTokens = {1, 17, 42, 3, 96, 0, 55, 8, 23, 61, 7};

std::vector<float> EngineLogits(const Model& model, const std::vector<int32_t>& tokens,
                                int threads = 2, const ForwardHooks* hooks = nullptr) {
  ThreadPool pool(threads);
  Transformer t(model, pool);
  const ModelConfig& c = model.config;
  KvCache cache(c, static_cast<int64_t>(tokens.size()));
  std::vector<float> hidden(tokens.size() * c.hidden_size);
  std::vector<float> logits(tokens.size() * c.vocab_size);
  EXPECT_TRUE(t.Forward(tokens, cache, hidden.data(), hooks).ok());
  t.Logits(hidden.data(), static_cast<int64_t>(tokens.size()), logits.data());
  return logits;
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

class TransformerArchTest : public ::testing::TestWithParam<Arch> {};

TEST_P(TransformerArchTest, MatchesReferenceForward) {
  const Model model = MakeRandomModel(TinyConfig(GetParam()), 7);
  const std::vector<double> want = ReferenceLogits(model, kTokens);
  EXPECT_LT(MaxAbsDiff(EngineLogits(model, kTokens), want), kF32LogitTolerance);
}

TEST_P(TransformerArchTest, IncrementalDecodingMatchesPrefill) {
  const Model model = MakeRandomModel(TinyConfig(GetParam()), 8);
  const std::vector<float> prefill = EngineLogits(model, kTokens);
  ThreadPool pool(2);
  Transformer t(model, pool);
  const ModelConfig& c = model.config;
  KvCache cache(c, static_cast<int64_t>(kTokens.size()));
  std::vector<float> hidden(c.hidden_size), logits(c.vocab_size);
  // First 4 tokens as one batch, then one at a time: both cache paths are exercised.
  std::vector<float> prefix_hidden(4 * c.hidden_size);
  ASSERT_TRUE(t.Forward(std::span(kTokens).first(4), cache, prefix_hidden.data()).ok());
  for (size_t i = 4; i < kTokens.size(); ++i) {
    ASSERT_TRUE(t.Forward(std::span(kTokens).subspan(i, 1), cache, hidden.data()).ok());
    t.Logits(hidden.data(), 1, logits.data());
    for (int64_t v = 0; v < c.vocab_size; ++v) {
      ASSERT_NEAR(logits[v], prefill[i * c.vocab_size + v], kDecodeVsPrefillTolerance)
          << "position " << i;
    }
  }
}

TEST_P(TransformerArchTest, SkippedBlocksAreIdentity) {
  const Model model = MakeRandomModel(TinyConfig(GetParam()), 9);
  ForwardHooks hooks;
  hooks.skip_blocks = {false, true, false};
  const std::vector<double> want = ReferenceLogits(model, kTokens, hooks.skip_blocks);
  EXPECT_LT(MaxAbsDiff(EngineLogits(model, kTokens, 2, &hooks), want), kF32LogitTolerance);
  // And skipping really changes the result.
  EXPECT_GT(MaxAbsDiff(EngineLogits(model, kTokens), want), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Archs, TransformerArchTest,
                         ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kQwen3),
                         [](const auto& info) { return std::string(ArchGgufName(info.param)); });

// Block-by-block passes (every window through block l, then l+1) may share one layer of KV
// storage: the hidden states match a per-block cache bit for bit.
TEST(TransformerTest, BlockByBlockWithASharedKvLayerMatchesPerBlockCache) {
  const Model model = MakeRandomModel(TinyConfig(Arch::kQwen3), 4);
  const ModelConfig& c = model.config;
  ThreadPool pool(2);
  Transformer t(model, pool);
  const auto n = static_cast<int64_t>(kTokens.size());
  std::vector<float> x(static_cast<size_t>(n * c.hidden_size));
  ASSERT_TRUE(t.Embed(kTokens, x.data()).ok());
  std::vector<float> per_block = x, shared = x;
  KvCache cache(c, n);
  KvCache one = KvCache::SharedAcrossBlocks(c, n);
  EXPECT_EQ(one.keys(0), one.keys(static_cast<int>(c.num_layers) - 1));
  for (int l = 0; l < static_cast<int>(c.num_layers); ++l) {
    t.Block(l, per_block.data(), n, cache);
    t.Block(l, shared.data(), n, one);
  }
  EXPECT_EQ(per_block, shared);
  EXPECT_NE(per_block, x);
}

TEST(TransformerTest, Llama3RopeScalingMatchesReference) {
  ModelConfig c = TinyConfig(Arch::kLlama);
  for (int64_t i = 0; i < c.head_dim / 2; ++i) c.rope_freq_factors.push_back(1.0f + 0.5f * i);
  const Model model = MakeRandomModel(c, 10);
  EXPECT_LT(MaxAbsDiff(EngineLogits(model, kTokens), ReferenceLogits(model, kTokens)),
            kF32LogitTolerance);
}

TEST(TransformerTest, Bf16WeightsMatchReference) {
  const Model model = MakeRandomModel(TinyConfig(Arch::kQwen3), 11, DType::kBF16);
  EXPECT_LT(MaxAbsDiff(EngineLogits(model, kTokens), ReferenceLogits(model, kTokens)),
            kF32LogitTolerance);
}

TEST(TransformerTest, ThreadCountDoesNotChangeResults) {
  const Model model = MakeRandomModel(TinyConfig(Arch::kQwen3), 12);
  EXPECT_EQ(EngineLogits(model, kTokens, 1), EngineLogits(model, kTokens, 2));
}

TEST(TransformerTest, HookSeesEveryLinearInput) {
  const Model model = MakeRandomModel(TinyConfig(Arch::kQwen3), 13);
  const ModelConfig& c = model.config;
  std::vector<int> calls(c.num_layers * 7, 0);
  ForwardHooks hooks;
  hooks.linear_input = [&](int block, Projection p, const float*, int64_t n, int64_t in) {
    ++calls[block * 7 + static_cast<int>(p)];
    EXPECT_EQ(n, static_cast<int64_t>(kTokens.size()));
    const int64_t want = p == Projection::kO      ? c.q_dim()
                         : p == Projection::kDown ? c.intermediate_size
                                                  : c.hidden_size;
    EXPECT_EQ(in, want) << ProjectionName(p);
  };
  EngineLogits(model, kTokens, 2, &hooks);
  for (int count : calls) EXPECT_EQ(count, 1);
}

TEST(TransformerTest, SwappedWeightsTakeEffectWithoutReload) {
  Model model = MakeRandomModel(TinyConfig(Arch::kLlama), 14);
  const std::vector<float> before = EngineLogits(model, kTokens);
  BlockWeights& b = model.weights.blocks[1];
  b.down.w = model.Adopt(OwnedTensor::Zeros(DType::kF32, b.down.w.shape));
  const std::vector<float> after = EngineLogits(model, kTokens);
  EXPECT_NE(before, after);
  EXPECT_LT(MaxAbsDiff(after, ReferenceLogits(model, kTokens)), kF32LogitTolerance);
}

TEST(TransformerTest, RejectsTokenOutsideVocabulary) {
  const Model model = MakeRandomModel(TinyConfig(Arch::kQwen3), 15);
  ThreadPool pool(1);
  Transformer t(model, pool);
  KvCache cache(model.config, 4);
  std::vector<float> hidden(4 * model.config.hidden_size);
  const std::vector<int32_t> bad = {1, 97};
  const Status s = t.Forward(bad, cache, hidden.data());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("97"), std::string::npos);
  const std::vector<int32_t> too_long(5, 1);
  EXPECT_FALSE(t.Forward(too_long, cache, hidden.data()).ok());
}

}  // namespace
}  // namespace lieq
