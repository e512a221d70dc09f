// Scalar references of the integer dot kernels (vec_dot.h): codes read element by element with
// the formulas of block_formats.h, integer sums per sub-block in int64, the float terms in double.
// Slow and obvious on purpose: the SIMD kernels (vec_dot_simd.cc) are tested against these.
#include <cstring>

#include "core/half.h"
#include "kernels/block_formats.h"
#include "kernels/group_quant.h"
#include "kernels/vec_dot.h"

namespace lieq {
namespace {

template <class Block>
Block BlockAt(const std::byte* row, int64_t i) {
  Block b;
  std::memcpy(&b, row + i * static_cast<int64_t>(sizeof(Block)), sizeof(Block));
  return b;
}

// Low two bits of element e (Q2_K and Q3_K share the layout).
int Low2(const uint8_t* qs, int e) {
  return (qs[32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3;
}

// The 6-bit scale and min of sub-block s of Q4_K / Q5_K.
void ScaleMinK4(const uint8_t* scales, int s, int* sc, int* mn) {
  if (s < 4) {
    *sc = scales[s] & 63;
    *mn = scales[s + 4] & 63;
  } else {
    *sc = (scales[s + 4] & 15) | (scales[s - 4] >> 6) << 4;
    *mn = (scales[s + 4] >> 4) | (scales[s] >> 6) << 4;
  }
}

// The 6-bit scale of sub-block s of Q3_K (before subtracting 32).
int ScaleQ3K(const uint8_t* scales, int s) {
  const int low = s < 8 ? scales[s] & 15 : scales[s - 8] >> 4;
  const int high = (scales[8 + s % 4] >> (2 * (s / 4))) & 3;
  return low | high << 4;
}

float DotQ2K(const std::byte* row, const Q8Row& a) {
  double acc = 0;
  for (int64_t i = 0; i < a.cols / kQK_K; ++i) {
    const auto b = BlockAt<BlockQ2_K>(row, i);
    const int16_t* q8 = a.q + i * kQK_K;
    int64_t sumi = 0;
    double mins = 0;
    for (int s = 0; s < 16; ++s) {
      int64_t isum = 0;
      for (int e = 16 * s; e < 16 * s + 16; ++e) isum += Low2(b.qs, e) * q8[e];
      sumi += (b.scales[s] & 15) * isum;
      mins += (b.scales[s] >> 4) * static_cast<double>(a.sum16[i * 16 + s]);
    }
    acc += static_cast<double>(F16ToF32(b.d)) * a.scale[i] * static_cast<double>(sumi) -
           static_cast<double>(F16ToF32(b.dmin)) * mins;
  }
  return static_cast<float>(acc);
}

float DotQ3K(const std::byte* row, const Q8Row& a) {
  double acc = 0;
  for (int64_t i = 0; i < a.cols / kQK_K; ++i) {
    const auto b = BlockAt<BlockQ3_K>(row, i);
    const int16_t* q8 = a.q + i * kQK_K;
    int64_t sumi = 0;
    for (int s = 0; s < 16; ++s) {
      int64_t isum = 0;
      for (int e = 16 * s; e < 16 * s + 16; ++e) {
        const int q = Low2(b.qs, e) | ((b.hmask[e % 32] >> (e / 32)) & 1) << 2;
        isum += (q - 4) * q8[e];
      }
      sumi += (ScaleQ3K(b.scales, s) - 32) * isum;
    }
    acc += static_cast<double>(F16ToF32(b.d)) * a.scale[i] * static_cast<double>(sumi);
  }
  return static_cast<float>(acc);
}

template <bool kFifthBit, class Block>
float DotQ45K(const std::byte* row, const Q8Row& a) {
  double acc = 0;
  for (int64_t i = 0; i < a.cols / kQK_K; ++i) {
    const auto b = BlockAt<Block>(row, i);
    const int16_t* q8 = a.q + i * kQK_K;
    int64_t sumi = 0;
    double mins = 0;
    for (int s = 0; s < 8; ++s) {
      int sc, mn;
      ScaleMinK4(b.scales, s, &sc, &mn);
      int64_t isum = 0;
      for (int e = 32 * s; e < 32 * s + 32; ++e) {
        const int g = e / 64, u = e % 64 / 32, k = e % 32;
        int q = (b.qs[32 * g + k] >> (4 * u)) & 15;
        if constexpr (kFifthBit) q |= ((b.qh[k] >> (2 * g + u)) & 1) << 4;
        isum += q * q8[e];
      }
      sumi += sc * isum;
      mins += mn * (static_cast<double>(a.sum16[i * 16 + 2 * s]) + a.sum16[i * 16 + 2 * s + 1]);
    }
    acc += static_cast<double>(F16ToF32(b.d)) * a.scale[i] * static_cast<double>(sumi) -
           static_cast<double>(F16ToF32(b.dmin)) * mins;
  }
  return static_cast<float>(acc);
}

float DotQ6K(const std::byte* row, const Q8Row& a) {
  double acc = 0;
  for (int64_t i = 0; i < a.cols / kQK_K; ++i) {
    const auto b = BlockAt<BlockQ6_K>(row, i);
    const int16_t* q8 = a.q + i * kQK_K;
    int64_t sumi = 0;
    for (int s = 0; s < 16; ++s) {
      int64_t isum = 0;
      for (int e = 16 * s; e < 16 * s + 16; ++e) {
        const int h = e / 128, j = e % 128 / 32, k = e % 32;
        const int nibble = (b.ql[64 * h + 32 * (j % 2) + k] >> (4 * (j / 2))) & 15;
        const int high = (b.qh[32 * h + k] >> (2 * j)) & 3;
        isum += ((nibble | high << 4) - 32) * q8[e];
      }
      sumi += b.scales[s] * isum;
    }
    acc += static_cast<double>(F16ToF32(b.d)) * a.scale[i] * static_cast<double>(sumi);
  }
  return static_cast<float>(acc);
}

float DotQ8_0(const std::byte* row, const Q8Row& a) {
  double acc = 0;
  for (int64_t i = 0; i < a.cols / kQK; ++i) {
    const auto b = BlockAt<BlockQ8_0>(row, i);
    int64_t isum = 0;
    for (int e = 0; e < kQK; ++e) isum += b.qs[e] * a.q[i * kQK + e];
    acc += static_cast<double>(F16ToF32(b.d)) * a.scale[i] * static_cast<double>(isum);
  }
  return static_cast<float>(acc);
}

// Q4_0 (x = d(q − 8)) and Q4_1 (x = d·q + m): element e < 16 in the low nibble of qs[e], element
// e >= 16 in the high nibble of qs[e − 16].
template <bool kMin, class Block>
float DotQ4Legacy(const std::byte* row, const Q8Row& a) {
  double acc = 0;
  for (int64_t i = 0; i < a.cols / kQK; ++i) {
    const auto b = BlockAt<Block>(row, i);
    int64_t isum = 0;
    for (int e = 0; e < kQK; ++e) {
      const int q = e < 16 ? b.qs[e] & 15 : b.qs[e - 16] >> 4;
      isum += (kMin ? q : q - 8) * a.q[i * kQK + e];
    }
    acc += static_cast<double>(F16ToF32(b.d)) * a.scale[i] * static_cast<double>(isum);
    if constexpr (kMin) {
      acc += static_cast<double>(F16ToF32(b.m)) *
             (static_cast<double>(a.sum16[2 * i]) + a.sum16[2 * i + 1]);
    }
  }
  return static_cast<float>(acc);
}

template <int kBits>
float GroupDot(const GroupRow& w, const Q8Row& a) {
  const Q8Layout layout = GroupVecDotLayout(kBits);
  uint8_t codes[32];
  double acc = 0;
  for (int64_t blk = 0; blk < a.cols / 32; ++blk) {
    UnpackCodes(w.codes + blk * 32 * kBits / 8, 32, kBits, codes);
    int64_t isum = 0;
    for (int c = 0; c < 32; ++c) isum += codes[c] * a.q[blk * 32 + Q8PermutedIndex(layout, c)];
    const int64_t g = blk * 32 / w.group_size;
    const double s = F16ToF32(w.scales[g]), z = F16ToF32(w.zeros[g]);
    const double sum32 = static_cast<double>(a.sum16[2 * blk]) + a.sum16[2 * blk + 1];
    acc += s * (static_cast<double>(a.scale[blk]) * static_cast<double>(isum) - z * sum32);
  }
  return static_cast<float>(acc);
}

}  // namespace

Q8Layout VecDotLayout(DType type) {
  switch (type) {
    case DType::kQ8_0:
    case DType::kQ4_0:
    case DType::kQ4_1:
      return Q8Layout{32, 0};
    default:
      return Q8Layout{kQK_K, 0};
  }
}

VecDotFn VecDotReference(DType type) {
  switch (type) {
    case DType::kQ2_K:
      return &DotQ2K;
    case DType::kQ3_K:
      return &DotQ3K;
    case DType::kQ4_K:
      return &DotQ45K<false, BlockQ4_K>;
    case DType::kQ5_K:
      return &DotQ45K<true, BlockQ5_K>;
    case DType::kQ6_K:
      return &DotQ6K;
    case DType::kQ8_0:
      return &DotQ8_0;
    case DType::kQ4_0:
      return &DotQ4Legacy<false, BlockQ4_0>;
    case DType::kQ4_1:
      return &DotQ4Legacy<true, BlockQ4_1>;
    default:
      return nullptr;
  }
}

Q8Layout GroupVecDotLayout(int bits) { return Q8Layout{32, bits == 2 || bits == 4 ? bits : 0}; }

GroupVecDotFn GroupVecDotReference(int bits) {
  switch (bits) {
    case 2:
      return &GroupDot<2>;
    case 3:
      return &GroupDot<3>;
    case 4:
      return &GroupDot<4>;
    case 8:
      return &GroupDot<8>;
    default:
      return nullptr;
  }
}

}  // namespace lieq
