// First correct version; the SIMD kernels replace the non-F32 paths.
#include "kernels/matmul.h"

#include <cblas.h>

#include <cassert>
#include <vector>

#include "core/half.h"

namespace lieq {

void RowToF32(const TensorView& w, int64_t r, float* out) {
  const int64_t k = w.cols();
  const std::byte* row = w.Row(r);
  switch (w.dtype) {
    case DType::kF32: {
      const float* p = reinterpret_cast<const float*>(row);
      for (int64_t i = 0; i < k; ++i) out[i] = p[i];
      break;
    }
    case DType::kF16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(row);
      for (int64_t i = 0; i < k; ++i) out[i] = F16ToF32(p[i]);
      break;
    }
    case DType::kBF16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(row);
      for (int64_t i = 0; i < k; ++i) out[i] = Bf16ToF32(p[i]);
      break;
    }
    default: assert(false && "RowToF32: quantized weights are dequantized at load");
  }
}

void MatMulReference(const float* x, int64_t n, const TensorView& w, float* y) {
  const int64_t out = w.rows(), k = w.cols();
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t o = 0; o < out; ++o) {
    RowToF32(w, o, row.data());
    for (int64_t t = 0; t < n; ++t) {
      double acc = 0;
      for (int64_t i = 0; i < k; ++i) acc += static_cast<double>(x[t * k + i]) * row[i];
      y[t * out + o] = static_cast<float>(acc);
    }
  }
}

void MatMul(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool) {
  const int64_t out = w.rows(), k = w.cols();
  if (w.dtype == DType::kF32) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n),
                static_cast<int>(out), static_cast<int>(k), 1.0f, x, static_cast<int>(k),
                reinterpret_cast<const float*>(w.data), static_cast<int>(k), 0.0f, y,
                static_cast<int>(out));
    return;
  }
  pool.ParallelRanges(out, [&](int, int64_t b, int64_t e) {
    std::vector<float> row(static_cast<size_t>(k));
    for (int64_t o = b; o < e; ++o) {
      RowToF32(w, o, row.data());
      for (int64_t t = 0; t < n; ++t) {
        float acc = 0;
        for (int64_t i = 0; i < k; ++i) acc += x[t * k + i] * row[i];
        y[t * out + o] = acc;
      }
    }
  });
}

}  // namespace lieq
