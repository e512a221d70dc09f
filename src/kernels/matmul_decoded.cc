#include "kernels/matmul_decoded.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "kernels/dequantize.h"
#include "kernels/matmul.h"
#include "kernels/matmul_parallel.h"

namespace lieq {

void MatMulDecoded(const float* x, int64_t n, const RowDecoder& w, float* y, ThreadPool& pool) {
  const int64_t out = w.rows, k = w.cols;
  if (n <= 0 || out <= 0) return;
  std::vector<AlignedBuffer> scratch(static_cast<size_t>(pool.size()));
  auto buffer = [&](int thread, int64_t rows) {
    AlignedBuffer& b = scratch[static_cast<size_t>(thread)];
    if (b.size() == 0) b = AlignedBuffer(static_cast<size_t>(rows * k) * sizeof(float));
    return b.As<float>();
  };
  if (n <= kMatMulGemvMaxRows) {
    // Rows are decoded a few at a time (one decoder call covers several small rows) into a
    // buffer that stays in L1/L2, then each is dotted with all rows of x.
    constexpr int64_t kChunkRows = 64;
    const int64_t batch =
        std::max<int64_t>(1, std::min<int64_t>(8, 8192 / std::max<int64_t>(k, 1)));
    ParallelChunks(pool, out, kChunkRows, [&](int thread, int64_t b, int64_t e) {
      float* rows = buffer(thread, batch);
      for (int64_t r = b; r < e; r += batch) {
        const int64_t count = std::min(batch, e - r);
        w.decode(r, count, rows);
        for (int64_t i = 0; i < count; ++i) GemvF32Row(rows + i * k, x, n, k, y + r + i, out);
      }
    });
    return;
  }
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
  ParallelChunks(pool, out, kMatMulPanelRows, [&](int thread, int64_t r0, int64_t r1) {
    const int64_t rows = r1 - r0;
    float* panel = buffer(thread, kMatMulPanelRows);
    w.decode(r0, rows, panel);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n),
                static_cast<int>(rows), static_cast<int>(k), 1.0f, x, static_cast<int>(k), panel,
                static_cast<int>(k), 0.0f, y + r0, static_cast<int>(out));
  });
}

RowDecoder TensorRowDecoder(const TensorView& w) {
  RowDecoder d;
  d.rows = w.rows();
  d.cols = w.cols();
  // Rows are contiguous, so rows [r0, r0 + count) are one run of count · cols elements.
  if (const RowDecodeFn simd = SimdRowDecoder(w.dtype)) {
    d.decode = [&w, simd](int64_t r0, int64_t count, float* out) {
      simd(w.Row(r0), out, count * w.cols());
    };
  } else {
    d.decode = [&w](int64_t r0, int64_t count, float* out) { RowsToF32(w, r0, count, out); };
  }
  return d;
}

}  // namespace lieq
