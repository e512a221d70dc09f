#include "kernels/quantize_reference.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "kernels/block_formats.h"

namespace lieq {
namespace {

int RoundClamp(float v, int lo, int hi) {
  return std::clamp(static_cast<int>(std::lrint(v)), lo, hi);
}

// fp16-rounds a scale and returns the value a decoder will see, so that quants are chosen
// against the scale actually stored rather than the exact one.
float StoreHalf(float v, uint16_t* out) {
  *out = F32ToF16(v);
  return F16ToF32(*out);
}

// The value of largest magnitude, sign kept (0 for an all-zero input).
float SignedExtremum(const float* x, int n) {
  float m = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > std::fabs(m)) m = x[i];
  }
  return m;
}

// q = round(x / step), or 0 when the step is 0 (an all-zero sub-block).
int Quant(float x, float step, int lo, int hi) {
  return step == 0 ? std::clamp(0, lo, hi) : RoundClamp(x / step, lo, hi);
}

void EncodeQ8_0(const float* x, BlockQ8_0* b) {
  const float amax = std::fabs(SignedExtremum(x, kQK));
  const float d = StoreHalf(amax / 127, &b->d);
  for (int k = 0; k < kQK; ++k) b->qs[k] = static_cast<int8_t>(Quant(x[k], d, -127, 127));
}

// Symmetric 4-bit: the extremum maps to -8, using the one extra negative level.
void EncodeQ4_0(const float* x, BlockQ4_0* b) {
  const float d = StoreHalf(SignedExtremum(x, kQK) / -8, &b->d);
  for (int j = 0; j < kQK / 2; ++j) {
    const int lo = Quant(x[j], d, -8, 7) + 8, hi = Quant(x[j + kQK / 2], d, -8, 7) + 8;
    b->qs[j] = static_cast<uint8_t>(lo | hi << 4);
  }
}

void EncodeQ4_1(const float* x, BlockQ4_1* b) {
  const float mn = *std::min_element(x, x + kQK), mx = *std::max_element(x, x + kQK);
  const float d = StoreHalf((mx - mn) / 15, &b->d);
  const float m = StoreHalf(mn, &b->m);
  for (int j = 0; j < kQK / 2; ++j) {
    const int lo = Quant(x[j] - m, d, 0, 15), hi = Quant(x[j + kQK / 2] - m, d, 0, 15);
    b->qs[j] = static_cast<uint8_t>(lo | hi << 4);
  }
}

// Asymmetric sub-block ranges [-min, -min + levels * scale] for Q2_K/Q4_K/Q5_K. The min is
// clipped to <= 0 because the formats subtract a non-negative offset.
struct ScaleMin {
  float scale;
  float neg_min;  // >= 0
};
ScaleMin SubBlockScaleMin(const float* x, int n, int levels) {
  const float mn = std::min(0.0f, *std::min_element(x, x + n));
  const float mx = std::max(mn, *std::max_element(x, x + n));
  return {(mx - mn) / static_cast<float>(levels), -mn};
}

// Quantizes per-sub-block scales and mins to `bits`-bit integers under fp16 super-scales.
template <int kSub>
void QuantizeScaleMins(const ScaleMin (&sm)[kSub], int max_level, uint16_t* d16, uint16_t* dmin16,
                       int (&ls)[kSub], int (&lm)[kSub], float (&step)[kSub],
                       float (&offset)[kSub]) {
  float max_scale = 0, max_min = 0;
  for (const ScaleMin& s : sm) {
    max_scale = std::max(max_scale, s.scale);
    max_min = std::max(max_min, s.neg_min);
  }
  const float d = StoreHalf(max_scale / static_cast<float>(max_level), d16);
  const float dmin = StoreHalf(max_min / static_cast<float>(max_level), dmin16);
  for (int s = 0; s < kSub; ++s) {
    ls[s] = Quant(sm[s].scale, d, 0, max_level);
    lm[s] = Quant(sm[s].neg_min, dmin, 0, max_level);
    step[s] = d * static_cast<float>(ls[s]);
    offset[s] = dmin * static_cast<float>(lm[s]);
  }
}

// Byte and shift of element e in the 2-bit planes of Q2_K and Q3_K.
int TwoBitByte(int e) { return 32 * (e / 128) + e % 32; }
int TwoBitShift(int e) { return 2 * ((e % 128) / 32); }

void EncodeQ2_K(const float* x, BlockQ2_K* b) {
  constexpr int kSub = kQK_K / 16;
  ScaleMin sm[kSub];
  for (int s = 0; s < kSub; ++s) sm[s] = SubBlockScaleMin(x + 16 * s, 16, 3);
  int ls[kSub], lm[kSub];
  float step[kSub], offset[kSub];
  QuantizeScaleMins(sm, 15, &b->d, &b->dmin, ls, lm, step, offset);
  std::memset(b->qs, 0, sizeof(b->qs));
  for (int s = 0; s < kSub; ++s) b->scales[s] = static_cast<uint8_t>(ls[s] | lm[s] << 4);
  for (int e = 0; e < kQK_K; ++e) {
    const int q = Quant(x[e] + offset[e / 16], step[e / 16], 0, 3);
    b->qs[TwoBitByte(e)] |= static_cast<uint8_t>(q << TwoBitShift(e));
  }
}

// Symmetric signed scales: each sub-block's extremum maps to -levels (the extra negative level),
// and the sub-block scales themselves are quantized the same way to `scale_levels`.
template <int kSub, int kLen>
void SymmetricScales(const float* x, int levels, int scale_levels, float* d_out, int (&ls)[kSub],
                     uint16_t* d16) {
  float scale[kSub];
  for (int s = 0; s < kSub; ++s) {
    scale[s] = SignedExtremum(x + kLen * s, kLen) / static_cast<float>(-levels);
  }
  const float d = StoreHalf(SignedExtremum(scale, kSub) / static_cast<float>(-scale_levels), d16);
  for (int s = 0; s < kSub; ++s) ls[s] = Quant(scale[s], d, -scale_levels, scale_levels - 1);
  *d_out = d;
}

void EncodeQ3_K(const float* x, BlockQ3_K* b) {
  constexpr int kSub = kQK_K / 16;
  int ls[kSub];
  float d;
  SymmetricScales<kSub, 16>(x, 4, 32, &d, ls, &b->d);
  std::memset(b->hmask, 0, sizeof(b->hmask));
  std::memset(b->qs, 0, sizeof(b->qs));
  std::memset(b->scales, 0, sizeof(b->scales));
  for (int s = 0; s < kSub; ++s) {
    const int v = ls[s] + 32;  // stored with an offset of 32
    if (s < 8) {
      b->scales[s] |= static_cast<uint8_t>(v & 0xF);
    } else {
      b->scales[s - 8] |= static_cast<uint8_t>((v & 0xF) << 4);
    }
    b->scales[8 + s % 4] |= static_cast<uint8_t>((v >> 4) << (2 * (s / 4)));
  }
  for (int e = 0; e < kQK_K; ++e) {
    const int v = Quant(x[e], d * static_cast<float>(ls[e / 16]), -4, 3) + 4;
    b->qs[TwoBitByte(e)] |= static_cast<uint8_t>((v & 3) << TwoBitShift(e));
    b->hmask[e % 32] |= static_cast<uint8_t>((v >> 2) << (e / 32));
  }
}

// Shared by Q4_K (qh == nullptr, 4-bit quants) and Q5_K (5-bit).
void EncodeK4Or5(const float* x, uint16_t* d16, uint16_t* dmin16, uint8_t* scales, uint8_t* qs,
                 uint8_t* qh) {
  constexpr int kSub = kQK_K / 32;
  const int max_q = qh == nullptr ? 15 : 31;
  ScaleMin sm[kSub];
  for (int s = 0; s < kSub; ++s) sm[s] = SubBlockScaleMin(x + 32 * s, 32, max_q);
  int ls[kSub], lm[kSub];
  float step[kSub], offset[kSub];
  QuantizeScaleMins(sm, 63, d16, dmin16, ls, lm, step, offset);
  for (int s = 0; s < 4; ++s) {
    scales[s] = static_cast<uint8_t>(ls[s] | (ls[s + 4] >> 4) << 6);
    scales[s + 4] = static_cast<uint8_t>(lm[s] | (lm[s + 4] >> 4) << 6);
    scales[s + 8] = static_cast<uint8_t>((ls[s + 4] & 0xF) | (lm[s + 4] & 0xF) << 4);
  }
  std::memset(qs, 0, kQK_K / 2);
  if (qh != nullptr) std::memset(qh, 0, kQK_K / 8);
  for (int e = 0; e < kQK_K; ++e) {
    const int q = Quant(x[e] + offset[e / 32], step[e / 32], 0, max_q);
    const int g = e / 64, upper = (e % 64) / 32, i = e % 32;
    qs[32 * g + i] |= static_cast<uint8_t>((q & 0xF) << (4 * upper));
    if (qh != nullptr) qh[i] |= static_cast<uint8_t>((q >> 4) << (2 * g + upper));
  }
}

void EncodeQ6_K(const float* x, BlockQ6_K* b) {
  constexpr int kSub = kQK_K / 16;
  int ls[kSub];
  float d;
  SymmetricScales<kSub, 16>(x, 32, 128, &d, ls, &b->d);
  for (int s = 0; s < kSub; ++s) b->scales[s] = static_cast<int8_t>(ls[s]);
  std::memset(b->ql, 0, sizeof(b->ql));
  std::memset(b->qh, 0, sizeof(b->qh));
  for (int e = 0; e < kQK_K; ++e) {
    const int v = Quant(x[e], d * static_cast<float>(ls[e / 16]), -32, 31) + 32;
    const int half = e / 128, quarter = (e % 128) / 32, i = e % 32;
    b->ql[64 * half + 32 * (quarter % 2) + i] |=
        static_cast<uint8_t>((v & 0xF) << (4 * (quarter / 2)));
    b->qh[32 * half + i] |= static_cast<uint8_t>((v >> 4) << (2 * quarter));
  }
}

// Encodes every block of a row with `encode`, through a local block (dst may be unaligned).
template <typename Block, typename Encode>
void EncodeBlocks(const float* src, std::byte* dst, int64_t n, int64_t block_elems, Encode encode) {
  for (int64_t i = 0; i < n / block_elems; ++i) {
    Block b;
    encode(src + i * block_elems, &b);
    std::memcpy(dst + i * static_cast<int64_t>(sizeof(Block)), &b, sizeof(Block));
  }
}

}  // namespace

void QuantizeRowReference(DType type, const float* src, std::byte* dst, int64_t n) {
  assert(n % Info(type).block_size == 0);
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16:
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == DType::kF16 ? F32ToF16(src[i]) : F32ToBf16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::kQ8_0:
      return EncodeBlocks<BlockQ8_0>(src, dst, n, kQK, EncodeQ8_0);
    case DType::kQ4_0:
      return EncodeBlocks<BlockQ4_0>(src, dst, n, kQK, EncodeQ4_0);
    case DType::kQ4_1:
      return EncodeBlocks<BlockQ4_1>(src, dst, n, kQK, EncodeQ4_1);
    case DType::kQ2_K:
      return EncodeBlocks<BlockQ2_K>(src, dst, n, kQK_K, EncodeQ2_K);
    case DType::kQ3_K:
      return EncodeBlocks<BlockQ3_K>(src, dst, n, kQK_K, EncodeQ3_K);
    case DType::kQ4_K:
      return EncodeBlocks<BlockQ4_K>(src, dst, n, kQK_K, [](const float* x, BlockQ4_K* b) {
        EncodeK4Or5(x, &b->d, &b->dmin, b->scales, b->qs, nullptr);
      });
    case DType::kQ5_K:
      return EncodeBlocks<BlockQ5_K>(src, dst, n, kQK_K, [](const float* x, BlockQ5_K* b) {
        EncodeK4Or5(x, &b->d, &b->dmin, b->scales, b->qs, b->qh);
      });
    case DType::kQ6_K:
      return EncodeBlocks<BlockQ6_K>(src, dst, n, kQK_K, EncodeQ6_K);
  }
  assert(false && "QuantizeRowReference: dtype missing from the switch");
}

}  // namespace lieq
