// Linear layers on weights in the group format (kernels/group_quant.h), computed from the
// packed codes directly: y [n, rows] = x [n, cols] · Wᵀ.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/group_quant.h"
#include "kernels/matmul.h"
#include "kernels/matmul_decoded.h"

namespace lieq {

// Fast path (parallel over output rows, so results do not depend on the thread count). With
// options.fast_prefill, prefill runs the integer GEMM (kernels/gemm_q8.h) where it applies.
void GroupMatMul(const float* x, int64_t n, const GroupQuantView& w, float* y, ThreadPool& pool,
                 const MatMulOptions& options = {});

// The row decoder GroupMatMul's float path (prefill) runs: SIMD decoders for 2 and 4 bits.
RowDecoder GroupRowDecoder(const GroupQuantView& w);

// Scalar reference with double accumulation; what every fast path is tested against.
void GroupMatMulReference(const float* x, int64_t n, const GroupQuantView& w, float* y);

}  // namespace lieq
