#include "kernels/group_matmul.h"

#include <vector>

namespace lieq {

// First version: dequantize a row into a per-thread buffer, then dot it with every row of x.
// Correct for all widths; the SIMD kernels replace it.
void GroupMatMul(const float* x, int64_t n, const GroupQuantView& w, float* y, ThreadPool& pool) {
  pool.ParallelRanges(w.rows, [&](int, int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<size_t>(w.cols));
    for (int64_t r = r0; r < r1; ++r) {
      DequantizeGroupRow(w, r, row.data());
      for (int64_t t = 0; t < n; ++t) {
        const float* xt = x + t * w.cols;
        float acc = 0;
        for (int64_t c = 0; c < w.cols; ++c) acc += xt[c] * row[c];
        y[t * w.rows + r] = acc;
      }
    }
  });
}

void GroupMatMulReference(const float* x, int64_t n, const GroupQuantView& w, float* y) {
  std::vector<float> row(static_cast<size_t>(w.cols));
  for (int64_t r = 0; r < w.rows; ++r) {
    DequantizeGroupRow(w, r, row.data());
    for (int64_t t = 0; t < n; ++t) {
      double acc = 0;
      for (int64_t c = 0; c < w.cols; ++c) acc += static_cast<double>(x[t * w.cols + c]) * row[c];
      y[t * w.rows + r] = static_cast<float>(acc);
    }
  }
}

}  // namespace lieq
