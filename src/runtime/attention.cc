#include "runtime/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ops.h"

namespace lieq {

// Work is cut into (head, block of kQueryBlock query rows) units, run in parallel by the pool: each
// unit's GEMMs stop at the last key its rows can see, so a prefill of n tokens does about half
// the n × n work of one masked product, and every unit is computed by one thread with the same
// code whatever the thread count (results do not depend on it). OpenBLAS runs single-threaded
// here (the pool supplies the parallelism; kernels/matmul_gemm.cc).
void CausalAttention(const ModelConfig& config, const float* q, const float* keys,
                     const float* values, int64_t n, int64_t pos0, float* out, ThreadPool& pool) {
  constexpr int64_t kQueryBlock = 128;
  const int64_t H = config.num_heads, hd = config.head_dim;
  const int64_t group = H / config.num_kv_heads;
  const int64_t q_stride = H * hd, kv_stride = config.kv_dim();
  const int64_t T = pos0 + n;  // keys visible to the last new token
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  const int64_t blocks = (n + kQueryBlock - 1) / kQueryBlock;
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
  std::vector<std::vector<float>> scores(static_cast<size_t>(pool.size()));
  pool.ParallelRanges(H * blocks, [&](int thread, int64_t u0, int64_t u1) {
    std::vector<float>& buffer = scores[static_cast<size_t>(thread)];
    buffer.resize(static_cast<size_t>(std::min(n, kQueryBlock) * T));
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t h = u / blocks, g = h / group;
      const int64_t t0 = (u % blocks) * kQueryBlock, rows = std::min(kQueryBlock, n - t0);
      const int64_t seen = pos0 + t0 + rows;  // keys visible to the block's last row
      // scores[rows, seen] = scale · q_h[t0 : t0 + rows] · K_g[0 : seen]ᵀ
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows),
                  static_cast<int>(seen), static_cast<int>(hd), scale, q + t0 * q_stride + h * hd,
                  static_cast<int>(q_stride), keys + g * hd, static_cast<int>(kv_stride), 0.0f,
                  buffer.data(), static_cast<int>(seen));
      for (int64_t t = 0; t < rows; ++t) {
        float* row = buffer.data() + t * seen;
        const int64_t visible = pos0 + t0 + t + 1;
        SoftmaxInPlace(row, visible);
        std::fill(row + visible, row + seen, 0.0f);
      }
      // out_h[t0 : t0 + rows] = scores · V_g[0 : seen]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows),
                  static_cast<int>(hd), static_cast<int>(seen), 1.0f, buffer.data(),
                  static_cast<int>(seen), values + g * hd, static_cast<int>(kv_stride), 0.0f,
                  out + t0 * q_stride + h * hd, static_cast<int>(q_stride));
    }
  });
}

}  // namespace lieq
