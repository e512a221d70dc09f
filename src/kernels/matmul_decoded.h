// Linear layers on weights that stay packed in memory (GGUF block types, the group format):
// y[n, out] = x[n, in] · W[out, in]ᵀ where W is known only through a row decoder. W is never
// expanded as a whole; rows are decoded to floats in per-thread scratch just before use:
//   - decode (n <= kMatMulGemvMaxRows): each row is decoded into L1 and dotted with all rows of
//     x by the GEMV SIMD kernel (matmul_gemv.cc), so the packed bytes are read from memory once;
//   - prefill: panels of kMatMulPanelRows rows are decoded and multiplied by cblas_sgemm, as
//     MatMulGemm does for 16-bit weights.
// Parallel over output rows in fixed chunks and panels: results do not depend on the thread
// count, and equal MatMul's on the decoded matrix stored as F32 (same kernels, same call shapes).
#pragma once

#include <cstdint>
#include <functional>

#include "core/tensor.h"
#include "core/thread_pool.h"

namespace lieq {

struct RowDecoder {
  int64_t rows = 0;
  int64_t cols = 0;
  // Writes rows [r0, r0 + count) as floats to out [count, cols]; called from several threads.
  std::function<void(int64_t r0, int64_t count, float* out)> decode;
};

void MatMulDecoded(const float* x, int64_t n, const RowDecoder& w, float* y, ThreadPool& pool);

// y[t · ldy] = Σ_i w[i] · x[t · k + i] for t < n: one decoded row against all rows of x, with
// the GEMV kernel's accumulator layout (SIMD, dispatched at run time; in matmul_gemv.cc).
void GemvF32Row(const float* w, const float* x, int64_t n, int64_t k, float* y, int64_t ldy);

// The decoder of a TensorView of any dtype: quantized types through their SIMD row decoder
// (SimdRowDecoder, bit-identical) where there is one, else DequantizeRow.
RowDecoder TensorRowDecoder(const TensorView& w);

}  // namespace lieq
