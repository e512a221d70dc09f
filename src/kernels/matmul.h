// Linear layers: y[n, out] = x[n, in] · W[out, in]ᵀ for every weight dtype the engine runs.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "core/thread_pool.h"

namespace lieq {

// Fast path: BLAS for many rows (prefill), SIMD dot products for few rows (decode).
// W may be F32, F16 or BF16. y must not alias x.
void MatMul(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool);

// Scalar reference with double accumulation; what every fast path is tested against.
void MatMulReference(const float* x, int64_t n, const TensorView& w, float* y);

// Converts row r of a F32/F16/BF16 matrix to floats.
void RowToF32(const TensorView& w, int64_t r, float* out);

}  // namespace lieq
