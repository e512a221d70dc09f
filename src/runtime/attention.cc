#include "runtime/attention.h"

#include <cblas.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ops.h"

namespace lieq {

void CausalAttention(const ModelConfig& config, const float* q, const float* keys,
                     const float* values, int64_t n, int64_t pos0, float* out, ThreadPool& pool) {
  const int64_t H = config.num_heads, hd = config.head_dim;
  const int64_t group = H / config.num_kv_heads;
  const int64_t q_stride = H * hd, kv_stride = config.kv_dim();
  const int64_t T = pos0 + n;  // keys visible to the last new token
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  std::vector<float> scores(static_cast<size_t>(n * T));
  for (int64_t h = 0; h < H; ++h) {
    const int64_t g = h / group;
    // scores[n, T] = scale · q_h · K_gᵀ
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(T),
                static_cast<int>(hd), scale, q + h * hd, static_cast<int>(q_stride), keys + g * hd,
                static_cast<int>(kv_stride), 0.0f, scores.data(), static_cast<int>(T));
    pool.ParallelFor(n, [&](int64_t t) {
      float* row = scores.data() + t * T;
      const int64_t visible = pos0 + t + 1;
      SoftmaxInPlace(row, visible);
      for (int64_t j = visible; j < T; ++j) row[j] = 0.0f;
    });
    // out_h[n, hd] = scores · V_g
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n),
                static_cast<int>(hd), static_cast<int>(T), 1.0f, scores.data(),
                static_cast<int>(T), values + g * hd, static_cast<int>(kv_stride), 0.0f,
                out + h * hd, static_cast<int>(q_stride));
  }
}

}  // namespace lieq
