#include "kernels/dequantize.h"

#include <cassert>
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "kernels/block_formats.h"

namespace lieq {
namespace {

// Blocks are read by memcpy into a local struct: GGUF only aligns whole tensors, and a row of
// 34-byte Q8_0 blocks puts most blocks at odd addresses.
template <typename Block>
Block LoadBlock(const std::byte* src, int64_t i) {
  Block b;
  std::memcpy(&b, src + i * static_cast<int64_t>(sizeof(Block)), sizeof(Block));
  return b;
}

void DecodeQ8_0(const BlockQ8_0& b, float* y) {
  const float d = F16ToF32(b.d);
  for (int k = 0; k < kQK; ++k) y[k] = d * static_cast<float>(b.qs[k]);
}

void DecodeQ4_0(const BlockQ4_0& b, float* y) {
  const float d = F16ToF32(b.d);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>((b.qs[j] & 0xF) - 8);
    y[j + kQK / 2] = d * static_cast<float>((b.qs[j] >> 4) - 8);
  }
}

void DecodeQ4_1(const BlockQ4_1& b, float* y) {
  const float d = F16ToF32(b.d), m = F16ToF32(b.m);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>(b.qs[j] & 0xF) + m;
    y[j + kQK / 2] = d * static_cast<float>(b.qs[j] >> 4) + m;
  }
}

// d·q − m is computed with one rounding (std::fma), so that the SIMD decoders
// (dequantize_simd.cc) can match it bit for bit whatever the compiler's contraction settings.
// The K decoders loop over sub-blocks with a contiguous inner loop over elements, which the
// compiler vectorises; the index arithmetic follows the layouts in block_formats.h.

// Q2_K and Q3_K: element 128h + 32j + 16u + l (l < 16) sits in bit pair j of byte
// 32h + 16u + l and belongs to sub-block 8h + 2j + u.
void DecodeQ2_K(const BlockQ2_K& b, float* y) {
  const float d = F16ToF32(b.d), dmin = F16ToF32(b.dmin);
  for (int h = 0; h < 2; ++h) {
    for (int j = 0; j < 4; ++j) {
      for (int u = 0; u < 2; ++u) {
        const uint8_t sc = b.scales[8 * h + 2 * j + u];
        const float dl = d * static_cast<float>(sc & 0xF), ml = dmin * static_cast<float>(sc >> 4);
        const uint8_t* q = b.qs + 32 * h + 16 * u;
        float* out = y + 128 * h + 32 * j + 16 * u;
        for (int l = 0; l < 16; ++l) {
          out[l] = std::fma(dl, static_cast<float>((q[l] >> (2 * j)) & 3), -ml);
        }
      }
    }
  }
}

// The 6-bit scale of Q3_K sub-block s (0..63, stored with an offset of 32).
int Q3KScale(const uint8_t* scales, int s) {
  const int low = s < 8 ? scales[s] & 0xF : scales[s - 8] >> 4;
  const int high = (scales[8 + s % 4] >> (2 * (s / 4))) & 3;
  return low | high << 4;
}

// As Q2_K for the low bits; the high bit of element e is bit e / 32 = 4h + j of hmask[e % 32].
void DecodeQ3_K(const BlockQ3_K& b, float* y) {
  const float d = F16ToF32(b.d);
  for (int h = 0; h < 2; ++h) {
    for (int j = 0; j < 4; ++j) {
      for (int u = 0; u < 2; ++u) {
        const int s = 8 * h + 2 * j + u;
        const float dl = d * static_cast<float>(Q3KScale(b.scales, s) - 32);
        const uint8_t* q = b.qs + 32 * h + 16 * u;
        const uint8_t* hm = b.hmask + 16 * u;
        float* out = y + 128 * h + 32 * j + 16 * u;
        for (int l = 0; l < 16; ++l) {
          const int low = (q[l] >> (2 * j)) & 3, high = (hm[l] >> (4 * h + j)) & 1;
          out[l] = dl * static_cast<float>((low | high << 2) - 4);
        }
      }
    }
  }
}

// The 6-bit scale and min of Q4_K/Q5_K sub-block s (0..7).
void Q4KScaleMin(const uint8_t* scales, int s, int* sc, int* mn) {
  if (s < 4) {
    *sc = scales[s] & 63;
    *mn = scales[s + 4] & 63;
  } else {
    *sc = (scales[s + 4] & 0xF) | (scales[s - 4] >> 6) << 4;
    *mn = (scales[s + 4] >> 4) | (scales[s] >> 6) << 4;
  }
}

// Shared by Q4_K and Q5_K (qh == nullptr for Q4_K): element 64g + 32u + i (i < 32) is nibble
// u of qs[32g + i], fifth bit 2g + u of qh[i], sub-block 2g + u.
void DecodeK4Or5(uint16_t d16, uint16_t dmin16, const uint8_t* scales, const uint8_t* qs,
                 const uint8_t* qh, float* y) {
  const float d = F16ToF32(d16), dmin = F16ToF32(dmin16);
  for (int g = 0; g < 4; ++g) {
    for (int u = 0; u < 2; ++u) {
      int sc, mn;
      Q4KScaleMin(scales, 2 * g + u, &sc, &mn);
      const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(mn);
      const uint8_t* q = qs + 32 * g;
      float* out = y + 64 * g + 32 * u;
      for (int i = 0; i < 32; ++i) {
        int v = (q[i] >> (4 * u)) & 0xF;
        if (qh != nullptr) v |= ((qh[i] >> (2 * g + u)) & 1) << 4;
        out[i] = std::fma(dl, static_cast<float>(v), -ml);
      }
    }
  }
}

// Element 128h + 32k + i (quarter k, i < 32): nibble k / 2 of ql[64h + 32(k % 2) + i], bits
// 2k..2k+1 of qh[32h + i]; sub-block 8h + 2k + i / 16.
void DecodeQ6_K(const BlockQ6_K& b, float* y) {
  const float d = F16ToF32(b.d);
  for (int h = 0; h < 2; ++h) {
    for (int k = 0; k < 4; ++k) {
      const uint8_t* ql = b.ql + 64 * h + 32 * (k % 2);
      const uint8_t* qh = b.qh + 32 * h;
      for (int u = 0; u < 2; ++u) {
        const float dl = d * static_cast<float>(b.scales[8 * h + 2 * k + u]);
        float* out = y + 128 * h + 32 * k + 16 * u;
        for (int l = 0; l < 16; ++l) {
          const int i = 16 * u + l;
          const int low = (ql[i] >> (4 * (k / 2))) & 0xF, high = (qh[i] >> (2 * k)) & 3;
          out[l] = dl * static_cast<float>((low | high << 4) - 32);
        }
      }
    }
  }
}

// Decodes every block of a row with `decode`.
template <typename Block, typename Decode>
void DecodeBlocks(const std::byte* src, float* dst, int64_t n, int64_t block_elems, Decode decode) {
  for (int64_t i = 0; i < n / block_elems; ++i) {
    decode(LoadBlock<Block>(src, i), dst + i * block_elems);
  }
}

}  // namespace

void DequantizeRow(DType type, const std::byte* src, float* dst, int64_t n) {
  assert(n % Info(type).block_size == 0);
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16:
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = type == DType::kF16 ? F16ToF32(h) : Bf16ToF32(h);
      }
      return;
    case DType::kQ8_0:
      return DecodeBlocks<BlockQ8_0>(src, dst, n, kQK, DecodeQ8_0);
    case DType::kQ4_0:
      return DecodeBlocks<BlockQ4_0>(src, dst, n, kQK, DecodeQ4_0);
    case DType::kQ4_1:
      return DecodeBlocks<BlockQ4_1>(src, dst, n, kQK, DecodeQ4_1);
    case DType::kQ2_K:
      return DecodeBlocks<BlockQ2_K>(src, dst, n, kQK_K, DecodeQ2_K);
    case DType::kQ3_K:
      return DecodeBlocks<BlockQ3_K>(src, dst, n, kQK_K, DecodeQ3_K);
    case DType::kQ4_K:
      return DecodeBlocks<BlockQ4_K>(src, dst, n, kQK_K, [](const BlockQ4_K& b, float* y) {
        DecodeK4Or5(b.d, b.dmin, b.scales, b.qs, nullptr, y);
      });
    case DType::kQ5_K:
      return DecodeBlocks<BlockQ5_K>(src, dst, n, kQK_K, [](const BlockQ5_K& b, float* y) {
        DecodeK4Or5(b.d, b.dmin, b.scales, b.qs, b.qh, y);
      });
    case DType::kQ6_K:
      return DecodeBlocks<BlockQ6_K>(src, dst, n, kQK_K, DecodeQ6_K);
  }
  assert(false && "DequantizeRow: dtype missing from the switch");
}

}  // namespace lieq
