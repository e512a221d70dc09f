// The quantized block layouts of GGUF/ggml, byte for byte as the GGUF specification lays them
// out. A row of n elements of a quantized type is n / block_size consecutive blocks. fp16
// fields are raw IEEE half bits (core/half.h converts them); all multi-byte fields are
// little-endian. Element k of a block is the k-th value of the row segment it covers.
//
// Two families:
//  - 32-element blocks (Q8_0, Q4_0, Q4_1): one fp16 scale (and min) per block.
//  - 256-element "K" super-blocks (Q2_K ... Q6_K): a fp16 super-scale d (and dmin) times small
//    integer scales per 16- or 32-element sub-block, themselves packed in a few bits.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace lieq {

inline constexpr int kQK = 32;           // elements per Q8_0 / Q4_0 / Q4_1 block
inline constexpr int kQK_K = 256;        // elements per K-quant super-block
inline constexpr int kKScaleBytes = 12;  // packed 6-bit scales of Q3_K, Q4_K, Q5_K

// x[k] = d * qs[k].
struct BlockQ8_0 {
  uint16_t d;      // fp16 scale
  int8_t qs[kQK];  // [32] signed quants
};

// x[k] = d * (q[k] - 8), q 4-bit. qs[j] holds q[j] in its low nibble and q[j + 16] in its high
// nibble (the block's first half in low nibbles, second half in high nibbles).
struct BlockQ4_0 {
  uint16_t d;           // fp16 scale
  uint8_t qs[kQK / 2];  // [16] nibbles, layout above
};

// x[k] = d * q[k] + m, q 4-bit, nibbles laid out as in Q4_0.
struct BlockQ4_1 {
  uint16_t d;           // fp16 scale
  uint16_t m;           // fp16 minimum (added)
  uint8_t qs[kQK / 2];  // [16] nibbles
};

// 16 sub-blocks of 16. x = d * (scales[s] & 15) * q - dmin * (scales[s] >> 4), q 2-bit.
// Elements are grouped in two halves of 128; in half h, byte qs[32h + b] (b < 32) holds, in
// bit pairs 2j..2j+1 (j = 0..3), element 128h + 32j + b. Sub-block s = element / 16.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];  // [16] low nibble: scale, high nibble: min, per sub-block
  uint8_t qs[kQK_K / 4];       // [64] 2-bit quants, layout above
  uint16_t d;                  // fp16 super-scale of the scales
  uint16_t dmin;               // fp16 super-scale of the mins
};

// 16 sub-blocks of 16. x = d * (sc[s] - 32) * (q - 4), q 3-bit = low 2 bits | high bit << 2.
// Low bits are laid out as Q2_K's qs; the high bit of element e is bit e / 32 of hmask[e % 32].
// The 6-bit sc[s] are packed in 12 bytes: low nibble in scales[s] (s < 8) or the high nibble
// of scales[s - 8] (s >= 8); top two bits in bits 2(s/4)..2(s/4)+1 of scales[8 + s % 4].
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];      // [32] high bits, layout above
  uint8_t qs[kQK_K / 4];         // [64] low 2 bits
  uint8_t scales[kKScaleBytes];  // [12] packed 6-bit scales
  uint16_t d;                    // fp16 super-scale
};

// 8 sub-blocks of 32. x = d * sc[s] * q - dmin * mn[s], q 4-bit. Elements come in four groups
// of 64: qs[32g + b] holds element 64g + b in its low nibble and 64g + 32 + b in its high one.
// sc and mn are 6-bit, packed in 12 bytes: for s < 4, sc = scales[s] & 63 and
// mn = scales[s + 4] & 63; for s >= 4, sc = (scales[s + 4] & 15) | (scales[s - 4] >> 6) << 4
// and mn = (scales[s + 4] >> 4) | (scales[s] >> 6) << 4.
struct BlockQ4_K {
  uint16_t d;                    // fp16 super-scale of the scales
  uint16_t dmin;                 // fp16 super-scale of the mins
  uint8_t scales[kKScaleBytes];  // [12] packed 6-bit scales and mins, layout above
  uint8_t qs[kQK_K / 2];         // [128] low 4 bits, layout above
};

// As Q4_K with a fifth bit: q = nibble | 16 * bit, where the bit of element 64g + b is bit 2g
// of qh[b] and that of element 64g + 32 + b is bit 2g + 1 of qh[b] (b < 32).
struct BlockQ5_K {
  uint16_t d;                    // fp16 super-scale of the scales
  uint16_t dmin;                 // fp16 super-scale of the mins
  uint8_t scales[kKScaleBytes];  // [12] packed 6-bit scales and mins (as Q4_K)
  uint8_t qh[kQK_K / 8];         // [32] fifth bits
  uint8_t qs[kQK_K / 2];         // [128] low 4 bits (as Q4_K)
};

// 16 sub-blocks of 16. x = d * scales[s] * (q - 32), q 6-bit = 4 low bits | 2 high bits << 4.
// Two halves of 128 elements; in half h (ql += 64h, qh += 32h), for b < 32:
//   element 128h + b      : low nibble of ql[b],      bits 0-1 of qh[b]
//   element 128h + 32 + b : low nibble of ql[32 + b], bits 2-3 of qh[b]
//   element 128h + 64 + b : high nibble of ql[b],     bits 4-5 of qh[b]
//   element 128h + 96 + b : high nibble of ql[32 + b], bits 6-7 of qh[b]
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // [128] low 4 bits
  uint8_t qh[kQK_K / 4];      // [64] high 2 bits
  int8_t scales[kQK_K / 16];  // [16] signed 8-bit sub-block scales
  uint16_t d;                 // fp16 super-scale
};

// The byte sizes must match core/dtype.cc's table, which the GGUF reader trusts for offsets.
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);

// Info() is not constexpr (it searches a table), so the match with core/dtype.cc is checked
// by this helper, which tests call, as well as by the literal sizes above.
struct BlockSizeCheck {
  DType type;
  int64_t struct_bytes;
  int64_t struct_elements;
};
inline constexpr BlockSizeCheck kBlockSizeChecks[] = {
    {DType::kQ8_0, sizeof(BlockQ8_0), kQK},   {DType::kQ4_0, sizeof(BlockQ4_0), kQK},
    {DType::kQ4_1, sizeof(BlockQ4_1), kQK},   {DType::kQ2_K, sizeof(BlockQ2_K), kQK_K},
    {DType::kQ3_K, sizeof(BlockQ3_K), kQK_K}, {DType::kQ4_K, sizeof(BlockQ4_K), kQK_K},
    {DType::kQ5_K, sizeof(BlockQ5_K), kQK_K}, {DType::kQ6_K, sizeof(BlockQ6_K), kQK_K},
};

}  // namespace lieq
