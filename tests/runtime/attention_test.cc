// CausalAttention against the formula in double, on shapes that cut the queries into several
// blocks (the last one partial) after a cached prefix, and the same bits for every thread count.
#include "runtime/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"

namespace lieq {
namespace {

std::vector<float> Random(int64_t count, Rng& rng) {
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = static_cast<float>(rng.Normal());
  return v;
}

// out[t, h] = Σ_{j ≤ pos0+t} softmax_j(q[t,h]·k[j,g]/√hd) v[j,g], in double.
std::vector<double> Reference(const ModelConfig& c, const std::vector<float>& q,
                              const std::vector<float>& k, const std::vector<float>& v, int64_t n,
                              int64_t pos0) {
  const int64_t H = c.num_heads, hd = c.head_dim, kv = c.kv_dim(), group = H / c.num_kv_heads;
  std::vector<double> out(static_cast<size_t>(n * H * hd));
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t h = 0; h < H; ++h) {
      const int64_t g = h / group, visible = pos0 + t + 1;
      std::vector<double> s(static_cast<size_t>(visible));
      double max = -1e300, sum = 0;
      for (int64_t j = 0; j < visible; ++j) {
        double dot = 0;
        for (int64_t i = 0; i < hd; ++i) dot += q[t * H * hd + h * hd + i] * k[j * kv + g * hd + i];
        s[j] = dot / std::sqrt(static_cast<double>(hd));
        max = std::max(max, s[j]);
      }
      for (double& x : s) sum += (x = std::exp(x - max));
      for (int64_t i = 0; i < hd; ++i) {
        double acc = 0;
        for (int64_t j = 0; j < visible; ++j) acc += s[j] / sum * v[j * kv + g * hd + i];
        out[t * H * hd + h * hd + i] = acc;
      }
    }
  }
  return out;
}

TEST(CausalAttentionTest, MatchesTheFormulaAcrossQueryBlocksAndThreadCounts) {
  ModelConfig c;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 16;
  c.hidden_size = 64;
  constexpr double kTolerance = 1e-4;  // float GEMMs and softmax against double
  for (const auto& [n, pos0] : {std::pair<int64_t, int64_t>{300, 0}, {300, 50}, {1, 77}, {129, 3}}) {
    SCOPED_TRACE(testing::Message() << "n " << n << " pos0 " << pos0);
    Rng rng(static_cast<uint64_t>(n + pos0));
    const int64_t T = pos0 + n;
    const std::vector<float> q = Random(n * c.num_heads * c.head_dim, rng);
    const std::vector<float> k = Random(T * c.kv_dim(), rng), v = Random(T * c.kv_dim(), rng);
    const std::vector<double> expected = Reference(c, q, k, v, n, pos0);
    std::vector<float> first;
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      std::vector<float> out(expected.size());
      CausalAttention(c, q.data(), k.data(), v.data(), n, pos0, out.data(), pool);
      for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], expected[i], kTolerance) << i;
      if (first.empty()) first = out;
      EXPECT_EQ(out, first) << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace lieq
