// Entry point of the linear layers (dispatch by n) and the scalar reference the fast paths are
// tested against. The fast paths live in matmul_gemv.cc (decode) and matmul_gemm.cc (prefill).
#include "kernels/matmul.h"

#include <cassert>
#include <vector>

#include "core/half.h"
#include "kernels/dequantize.h"
#include "kernels/gemm_bf16.h"
#include "kernels/gemm_q8.h"
#include "kernels/matmul_decoded.h"
#include "kernels/matmul_q8.h"

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
    default:  // GGUF block types, kept packed
      DequantizeRow(w.dtype, row, out, k);
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

void MatMul(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool,
            const MatMulOptions& options) {
  if (IsQuantized(w.dtype)) {
    if (n <= kMatMulQ8MaxRows) {
      if (const RowDotter dotter = TensorRowDotter(w); dotter.dot) {
        return MatMulQ8(x, n, dotter, y, pool);
      }
    } else if (options.fast_prefill && GemmQ8Supports(w)) {
      return GemmQ8(x, n, w, y, pool);
    }
    MatMulDecoded(x, n, TensorRowDecoder(w), y, pool);
  } else if (n <= kMatMulGemvMaxRows) {
    MatMulGemv(x, n, w, y, pool);
  } else if (options.fast_prefill && w.dtype == DType::kBF16 && w.cols() % 2 == 0 &&
             GemmBf16Supported()) {
    GemmBf16(x, n, w, y, pool);
  } else {
    MatMulGemm(x, n, w, y, pool);
  }
}

}  // namespace lieq
