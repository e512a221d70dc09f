// The decode path's accuracy on the shipped reference model, quantized: logits computed token by
// token (n = 1: the integer dot kernels on 8-bit activations, kernels/matmul_q8.h) against the
// same tokens in one prefill (n > kMatMulQ8MaxRows: packed rows decoded to floats, exact up to
// float summation order). Their gap is the whole cost of quantizing the activations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/rng.h"
#include "io/model_loader.h"
#include "io/quantized_model.h"
#include "quant/model_quantizer.h"
#include "runtime/kv_cache.h"
#include "runtime/transformer.h"
#include "test_util.h"

namespace lieq {
namespace {

// Measured on lieq-ref-qwen3 at 2 bits (RTN, group 128), 48 random tokens: mean KL 1.8e-4 nats,
// top-1 agreement 95.8% (2 flips, where this weak model's two best logits are close). The limits
// leave a margin; one scale off by 10% in the 2-bit kernel gives 3.7 nats.
constexpr double kMaxMeanKl = 1e-3;
constexpr double kMinTop1Agreement = 0.9;

std::vector<double> LogSoftmax(const float* logits, int64_t v) {
  const double mx = *std::max_element(logits, logits + v);
  double sum = 0;
  for (int64_t i = 0; i < v; ++i) sum += std::exp(logits[i] - mx);
  std::vector<double> out(static_cast<size_t>(v));
  for (int64_t i = 0; i < v; ++i) out[static_cast<size_t>(i)] = logits[i] - mx - std::log(sum);
  return out;
}

TEST(DecodePathTest, IntegerKernelsTrackThePrefillLogits) {
  Result<Model> model = LoadModel(testing::RepoDir() + "/models/lieq-ref-qwen3");
  ASSERT_TRUE(model.ok()) << model.status().message();
  ThreadPool pool(2);
  QuantizeOptions o;
  o.method = QuantMethod::kRtn;
  o.bits.assign(static_cast<size_t>(model->config.num_layers), 2);
  const Status quantized = QuantizeModel(*model, o, pool);
  ASSERT_TRUE(quantized.ok()) << quantized.message();
  QuantizationConfig qc;
  qc.method = "rtn";
  qc.bits = o.bits;
  qc.group_size = o.group_size;
  const std::string dir = testing::TempDir() + "/decode-path-q2";
  ASSERT_TRUE(WriteQuantizedModel(*model, qc, dir, true).ok());
  Result<Model> q = LoadModel(dir);
  ASSERT_TRUE(q.ok()) << q.status().message();

  const int64_t n = 48, d = q->config.hidden_size, v = q->config.vocab_size;
  Rng rng(3);
  std::vector<int32_t> tokens;
  for (int64_t t = 0; t < n; ++t) tokens.push_back(static_cast<int32_t>(rng.NextU64() % v));
  Transformer tf(*q, pool);
  std::vector<float> hidden(static_cast<size_t>(n * d)), prefill(static_cast<size_t>(n * v));
  KvCache all(q->config, n);
  ASSERT_TRUE(tf.Forward(tokens, all, hidden.data()).ok());
  tf.Logits(hidden.data(), n, prefill.data());

  KvCache one(q->config, n);
  std::vector<float> h(static_cast<size_t>(d)), step(static_cast<size_t>(v));
  double kl_sum = 0;
  int agree = 0;
  for (int64_t t = 0; t < n; ++t) {
    ASSERT_TRUE(
        tf.Forward(std::span<const int32_t>(&tokens[static_cast<size_t>(t)], 1), one, h.data())
            .ok());
    tf.Logits(h.data(), 1, step.data());
    const float* ref = prefill.data() + t * v;
    const std::vector<double> p = LogSoftmax(ref, v), qlog = LogSoftmax(step.data(), v);
    for (int64_t i = 0; i < v; ++i) kl_sum += std::exp(p[i]) * (p[i] - qlog[i]);
    agree += std::max_element(ref, ref + v) - ref ==
             std::max_element(step.data(), step.data() + v) - step.data();
  }
  const double mean_kl = kl_sum / n, top1 = static_cast<double>(agree) / n;
  std::printf(
      "decode path vs prefill, lieq-ref-qwen3 2-bit RTN, %ld tokens: mean KL %.3g nats, "
      "top-1 agreement %.1f%%\n",
      static_cast<long>(n), mean_kl, 100 * top1);
  EXPECT_LE(mean_kl, kMaxMeanKl);
  EXPECT_GE(top1, kMinTop1Agreement);
}

}  // namespace
}  // namespace lieq
