// Prefill matmul: y[n, out] = x[n, in] · W[out, in]ᵀ for many rows of x, compute-bound.
//
// W is cut into fixed panels of kMatMulPanelRows rows; pool threads take panels one by one,
// widen a 16-bit panel to F32 once (reused by all n rows of x) and call single-threaded
// cblas_sgemm on it. The panel split depends only on the shape, so every y element comes from
// the same sgemm call shape whatever the thread count: results are bitwise reproducible.
#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/matmul_parallel.h"

namespace lieq {

void MatMulGemm(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool) {
  const int64_t out = w.rows(), k = w.cols();
  if (n <= 0 || out <= 0) return;
  assert(w.dtype == DType::kF32 || w.dtype == DType::kF16 || w.dtype == DType::kBF16);
  // The pool supplies the parallelism; OpenBLAS threads would oversubscribe the cores and
  // serialise concurrent calls.
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);

  // [kMatMulPanelRows, k] floats per thread: one widened panel; F32 weights are used in place.
  std::vector<AlignedBuffer> scratch(static_cast<size_t>(pool.size()));
  ParallelChunks(pool, out, kMatMulPanelRows, [&](int thread, int64_t r0, int64_t r1) {
    const int64_t rows = r1 - r0;
    const float* panel;
    if (w.dtype == DType::kF32) {
      panel = reinterpret_cast<const float*>(w.Row(r0));
    } else {
      AlignedBuffer& buffer = scratch[static_cast<size_t>(thread)];
      if (buffer.size() == 0) {
        buffer = AlignedBuffer(static_cast<size_t>(kMatMulPanelRows * k) * sizeof(float));
      }
      RowsToF32(w, r0, rows, buffer.As<float>());
      panel = buffer.As<float>();
    }
    // Row-major y[:, r0:r1] = x · panelᵀ, written in place with row stride `out`.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n),
                static_cast<int>(rows), static_cast<int>(k), 1.0f, x, static_cast<int>(k), panel,
                static_cast<int>(k), 0.0f, y + r0, static_cast<int>(out));
  });
}

}  // namespace lieq
