// Scalar reference decoding of every element type to float, exactly as the GGUF
// specification defines each block format (kernels/block_formats.h). The fast matmul paths
// are checked against this.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace lieq {

// Decodes n elements starting at src (n a multiple of the type's block size: checked by the
// caller, e.g. the GGUF reader). Accepts F32, F16 and BF16 too, so callers need no special case.
void DequantizeRow(DType type, const std::byte* src, float* dst, int64_t n);

// SIMD row decoders (dequantize_simd.cc, dispatched at run time), bit-identical to the scalar
// references on targets with FMA (AVX2, AVX-512, NEON on AArch64): the references compute the
// K formats' d·q − m with one rounding (std::fma), as the kernels do.
using RowDecodeFn = void (*)(const std::byte* src, float* dst, int64_t n);
// Same contract as DequantizeRow; nullptr when `type` has no SIMD decoder (Q2_K, Q3_K, Q4_K, Q6_K
// do).
RowDecodeFn SimdRowDecoder(DType type);
// DequantizeRow through SimdRowDecoder where there is one.
void DequantizeRowFast(DType type, const std::byte* src, float* dst, int64_t n);

// One row of the group format (kernels/group_quant.h): out[c] = s · (q − z), group_size a
// multiple of 32. nullptr for bit widths without a SIMD decoder (2 and 4 have one).
using GroupRowDecodeFn = void (*)(const uint8_t* packed, const uint16_t* scales,
                                  const uint16_t* zeros, int64_t cols, int group_size, float* out);
GroupRowDecodeFn SimdGroupRowDecoder(int bits);

}  // namespace lieq
