// BF16 GEMM for prefill: y [n, rows] = x [n, cols] · Wᵀ with W in BF16, on AVX512-BF16
// (vdpbf16ps: pairs of BF16 products summed into F32 lanes) where the CPU has it.
//
// x is rounded once per call to BF16 (round to nearest even). W is cut into tiles of
// kGemmBf16TileRows rows whose 32-bit BF16 pairs are interleaved ([cols/2][16][2]) in a per-thread
// buffer, so one vector holds the same two columns of 16 rows; each activation row's pair is
// broadcast into one vdpbf16ps per tile vector (two tiles share each broadcast). The products of
// BF16 values are exact in F32 and summed in F32, so against the float product of W and the
// unrounded x
//   |y − x·Wᵀ| <= (2^-8 + cols · 2^-23) · Σ_e |w_e · x_e|
// (2^-8: BF16's relative rounding of x; cols · 2^-23: F32 summation, generously). That is the
// price of the fast path; MatMulGemm (widen to F32 + sgemm) keeps x exact.
//
// Highway 1.0.3 has no target with AVX512-BF16, so the kernel is compiled inside the AVX3_DL
// target with the extra "avx512bf16" attribute and used only when CPUID reports the feature
// (core/cpu_features.h). Parallel over tiles of output rows: results do not depend on the thread
// count.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "core/thread_pool.h"

namespace lieq {

inline constexpr int64_t kGemmBf16TileRows = 16;

// True when GemmBf16 can run here: the dispatched Highway target is AVX3_DL and the CPU reports
// avx512_bf16.
bool GemmBf16Supported();
// The Highway target the BF16 family dispatches to (lieq --version).
const char* GemmBf16Target();

// w must be BF16 with an even number of columns.
void GemmBf16(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool);

// x rounded to BF16 as GemmBf16 rounds it, times W, in double.
void GemmBf16Reference(const float* x, int64_t n, const TensorView& w, float* y);

// Internal (gemm_bf16_simd.cc): rows [r0, r1) of y [n, ldy] from x already in BF16 [n, cols];
// nullptr where there is no kernel.
using GemmBf16TilesFn = void (*)(const uint16_t* xb, int64_t n, const TensorView& w, int64_t r0,
                                 int64_t r1, float* y, int64_t ldy, void* scratch);
GemmBf16TilesFn GemmBf16TilesSimd();

}  // namespace lieq
