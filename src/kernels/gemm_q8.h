// Integer GEMM for prefill on packed weights (GGUF K formats, the group format):
// y [n, rows] = x [n, cols] · Wᵀ for many rows of x, without decoding W to floats.
//
// x is quantized once per call to 8 bits per 256-element block (Q8Activations, natural order).
// W is cut into tiles of kGemmTileRows rows; a pool thread unpacks a tile's codes once into a
// per-thread buffer, laid out for the target's multiply-add (int8 quads for vpdpbusd, int16
// pairs for pmaddwd), with its integer sub-block scales, offset coefficients and float
// super-scales, then runs it against every row of x. That reuse of the unpacked tile across n
// rows is what makes this faster than calling the decode kernels (vec_dot.h) n times.
//
// Per 256-element block of x (scale d_a, quants a, integer sums per 16 Σa = bsum16):
//   y += d_a · (d · Σ_s sc_s Σ_{e∈s} q_e a_e − dmin · Σ_s m_s bsum16_s)
// where the format's weight is w_e = d·sc_s·q_e − dmin·m_s/(16-run) as block_formats.h decodes it
// (Q3_K / Q6_K: the code bias times the scale is the offset, with dmin = d; the group format:
// d = dmin = s, sc = 1, m = z). Every term uses the quantized activations, so the result is
// exactly Σ_e w_e · x̂_e (x̂ = d_a · a) up to float rounding, whose distance to the float
// product is at most Σ_e |w_e| · d_a / 2: the decode path's activation-rounding bound.
//
// Kernels (Highway, dispatched at run time): AVX3_DL: vpdpbusd (AVX512-VNNI) on unsigned code
// bytes; other x86 targets (AVX-512, AVX2, SSE4): pmaddwd on int16 codes with the scales folded
// in. Other architectures have none (GemmQ8Supports is false; MatMul then decodes to floats).
// Parallel over tiles of output rows: results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/group_quant.h"

namespace lieq {

inline constexpr int64_t kGemmTileRows = 16;

// True when GemmQ8 runs this matrix on this CPU: Q2_K, Q3_K, Q4_K, Q5_K or Q6_K, cols a multiple
// of 256, and a kernel for the dispatched target.
bool GemmQ8Supports(const TensorView& w);
// The same for the group format: bits 2, 3, 4 or 8, cols a multiple of 256, and group_size
// dividing 256 or a multiple of it.
bool GroupGemmQ8Supports(const GroupQuantView& w);

void GemmQ8(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool);
void GroupGemmQ8(const float* x, int64_t n, const GroupQuantView& w, float* y, ThreadPool& pool);

// References: Σ_e w_e · x̂_e in double, with w_e the decoded weight (RowToF32 /
// DequantizeGroupRow) and x̂ the activations exactly as GemmQ8 quantizes them.
void GemmQ8Reference(const float* x, int64_t n, const TensorView& w, float* y);
void GroupGemmQ8Reference(const float* x, int64_t n, const GroupQuantView& w, float* y);

// The kernel GemmQ8 runs on this CPU: "vpdpbusd", "pmaddwd" or "none", and the Highway target
// it was dispatched to (lieq --version).
const char* GemmQ8Kind();
const char* GemmQ8Target();

}  // namespace lieq
