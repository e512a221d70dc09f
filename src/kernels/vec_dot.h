// Integer dot products of one packed weight row with one row of Q8 activations
// (kernels/q8_activations.h): the decode path of MatMul for GGUF block types and of GroupMatMul
// for the group format. The packed codes are never expanded to floats: per sub-block the kernel
// sums code · scale · a in integers, then applies the float super-scales once.
//
// Result = Σ_e w_e · x̂_e, where w_e is the weight exactly as DequantizeRow decodes it (up to the
// rounding of float arithmetic) and x̂_e = d · a_e the quantized activation, except that the
// formats' offset terms (dmin·m, s·z) use the exact float sums of x. Every SIMD kernel computes
// the same integer sums as its scalar reference and differs from it only in float summation order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "kernels/group_quant.h"
#include "kernels/q8_activations.h"

namespace lieq {

// One row of a GGUF block type: a.cols elements starting at `row`.
using VecDotFn = float (*)(const std::byte* row, const Q8Row& a);

// The activation layout the dtype's kernels expect; nullptr kernels (below) for dtypes without
// one (F32, F16, BF16).
Q8Layout VecDotLayout(DType type);
VecDotFn VecDotReference(DType type);  // scalar, double accumulation of the float terms
VecDotFn VecDotSimd(DType type);       // Highway, dispatched at run time
// The Highway target VecDotSimd dispatches to on this CPU ("AVX3_DL", "NEON", ...), and the kind
// of kernel it runs for `type` ("vpermb+vpdpbusd", "pmaddubsw", "int16" or "reference").
const char* VecDotSimdTarget();
const char* VecDotSimdKind(DType type);
// Every SIMD kernel of `type` compiled for the running target, VecDotSimd's first: the portable
// int16 kernels (Highway only) and, on x86, byte kernels (pmaddubsw; AVX512-VNNI for Q2_K) for
// the K formats. Tests check each against the reference.
std::vector<VecDotFn> VecDotSimdKernels(DType type);

// VecDotSimd's kernel over rows [0, count) of packed rows `row_bytes` apart: y[r] = row r · a.
// The kernel is inlined into the row loop, so its set-up is hoisted and rows overlap.
using VecDotRowsFn = void (*)(const std::byte* rows, int64_t row_bytes, int64_t count,
                              const Q8Row& a, float* y);
VecDotRowsFn VecDotRowsSimd(DType type);

// One row of the group format (kernels/group_quant.h), group_size a multiple of 32.
struct GroupRow {
  const uint8_t* codes = nullptr;    // [PackedRowBytes(bits, cols)]
  const uint16_t* scales = nullptr;  // [cols / group_size] FP16
  const uint16_t* zeros = nullptr;   // [cols / group_size] FP16
  int group_size = 0;
};
using GroupVecDotFn = float (*)(const GroupRow& w, const Q8Row& a);

// Row r of a group-format matrix.
inline GroupRow GroupRowAt(const GroupQuantView& w, int64_t r) {
  const int64_t groups = w.groups_per_row();
  return {w.codes + r * PackedRowBytes(w.bits, w.cols), w.scales + r * groups, w.zeros + r * groups,
          w.group_size};
}

// bits ∈ {2, 3, 4, 8}; nullptr kernels for other widths.
Q8Layout GroupVecDotLayout(int bits);
GroupVecDotFn GroupVecDotReference(int bits);
GroupVecDotFn GroupVecDotSimd(int bits);
// Every SIMD group kernel for `bits` on the running target (x86: byte and int16 kernels).
std::vector<GroupVecDotFn> GroupVecDotSimdKernels(int bits);
// GroupVecDotSimd's kernel over rows [r0, r1) of w: y[r] = row r · a.
using GroupVecDotRowsFn = void (*)(const GroupQuantView& w, int64_t r0, int64_t r1, const Q8Row& a,
                                   float* y);
GroupVecDotRowsFn GroupVecDotRowsSimd(int bits);

}  // namespace lieq
