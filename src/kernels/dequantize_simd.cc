// SIMD row decoders for the hottest packed formats (Q2_K, Q3_K, Q4_K, Q6_K, the group format
// at 2 and 4 bits), bit-identical to the scalar references (DequantizeRow, DequantizeGroupRow): the
// same float operations in the same order on each element, only many lanes at a time. Codes are
// unpacked with vector shifts and masks, widened to int32, converted and scaled with one
// MulSub (the references use std::fma for the K formats, so both round once).
//
// Compiled once per SIMD target by Highway's foreach_target.h and dispatched at run time; the
// kernels are looked up once per call site (SimdRowDecoder, SimdGroupRowDecoder) through a
// table indexed by dtype / bit width.

// SVE and RVV are sizeless and not needed here; as matmul_gemv.cc.
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/dequantize_simd.cc"
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/half.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/block_formats.h"
#include "kernels/dequantize.h"
#include "kernels/simd_targets.h"

HWY_BEFORE_NAMESPACE();
namespace lieq {
namespace HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;

// At most 16 float lanes: one Q2_K sub-block, half a Q4_K group of 32 bytes.
using DF16 = hn::CappedTag<float, 16>;

template <class Block>
Block LoadBlockAt(const std::byte* src, int64_t i) {
  Block b;
  std::memcpy(&b, src + i * static_cast<int64_t>(sizeof(Block)), sizeof(Block));
  return b;
}

// Element 64g + 32u + i (i < 32) is nibble u of qs[32g + i], sub-block 2g + u.
void DecodeRowQ4K(const std::byte* src, float* HWY_RESTRICT dst, int64_t n) {
  const DF16 df;
  const hn::Rebind<int32_t, DF16> di;
  const hn::Rebind<uint8_t, DF16> d8;
  const size_t lanes = hn::Lanes(df);
  const auto mask = hn::Set(di, 0xF);
  for (int64_t blk = 0; blk < n / kQK_K; ++blk) {
    const auto b = LoadBlockAt<BlockQ4_K>(src, blk);
    const float d = F16ToF32(b.d), dmin = F16ToF32(b.dmin);
    float* y = dst + blk * kQK_K;
    for (int g = 0; g < 4; ++g) {
      float dl[2], ml[2];
      for (int u = 0; u < 2; ++u) {
        const int s = 2 * g + u;
        int sc, mn;
        if (s < 4) {
          sc = b.scales[s] & 63;
          mn = b.scales[s + 4] & 63;
        } else {
          sc = (b.scales[s + 4] & 0xF) | (b.scales[s - 4] >> 6) << 4;
          mn = (b.scales[s + 4] >> 4) | (b.scales[s] >> 6) << 4;
        }
        dl[u] = d * static_cast<float>(sc);
        ml[u] = dmin * static_cast<float>(mn);
      }
      const auto dl0 = hn::Set(df, dl[0]), ml0 = hn::Set(df, ml[0]);
      const auto dl1 = hn::Set(df, dl[1]), ml1 = hn::Set(df, ml[1]);
      const uint8_t* q = b.qs + 32 * g;
      float* out = y + 64 * g;
      for (size_t i = 0; i < 32; i += lanes) {
        const auto v = hn::PromoteTo(di, hn::LoadU(d8, q + i));
        const auto lo = hn::ConvertTo(df, hn::And(v, mask));
        const auto hi = hn::ConvertTo(df, hn::ShiftRight<4>(v));
        hn::StoreU(hn::MulSub(dl0, lo, ml0), df, out + i);
        hn::StoreU(hn::MulSub(dl1, hi, ml1), df, out + 32 + i);
      }
    }
  }
}

// Element 128h + 32j + 16u + l (l < 16) is bit pair j of qs[32h + 16u + l], sub-block
// 8h + 2j + u.
void DecodeRowQ2K(const std::byte* src, float* HWY_RESTRICT dst, int64_t n) {
  const DF16 df;
  const hn::Rebind<int32_t, DF16> di;
  const hn::Rebind<uint8_t, DF16> d8;
  const size_t lanes = hn::Lanes(df);
  const auto mask = hn::Set(di, 3);
  for (int64_t blk = 0; blk < n / kQK_K; ++blk) {
    const auto b = LoadBlockAt<BlockQ2_K>(src, blk);
    const float d = F16ToF32(b.d), dmin = F16ToF32(b.dmin);
    float* y = dst + blk * kQK_K;
    for (int h = 0; h < 2; ++h) {
      for (int u = 0; u < 2; ++u) {
        const uint8_t* q = b.qs + 32 * h + 16 * u;
        for (size_t l = 0; l < 16; l += lanes) {
          const auto v = hn::PromoteTo(di, hn::LoadU(d8, q + l));
          for (int j = 0; j < 4; ++j) {
            const uint8_t sc = b.scales[8 * h + 2 * j + u];
            const auto dl = hn::Set(df, d * static_cast<float>(sc & 0xF));
            const auto ml = hn::Set(df, dmin * static_cast<float>(sc >> 4));
            const auto qv = hn::ConvertTo(df, hn::And(hn::ShiftRightSame(v, 2 * j), mask));
            hn::StoreU(hn::MulSub(dl, qv, ml), df, y + 128 * h + 32 * j + 16 * u + l);
          }
        }
      }
    }
  }
}

// As Q2_K for the low bits; the high bit of element e is bit e / 32 = 4h + j of hmask[e % 32].
void DecodeRowQ3K(const std::byte* src, float* HWY_RESTRICT dst, int64_t n) {
  const DF16 df;
  const hn::Rebind<int32_t, DF16> di;
  const hn::Rebind<uint8_t, DF16> d8;
  const size_t lanes = hn::Lanes(df);
  const auto mask2 = hn::Set(di, 3), one = hn::Set(di, 1), offset = hn::Set(di, 4);
  for (int64_t blk = 0; blk < n / kQK_K; ++blk) {
    const auto b = LoadBlockAt<BlockQ3_K>(src, blk);
    const float d = F16ToF32(b.d);
    float* y = dst + blk * kQK_K;
    for (int h = 0; h < 2; ++h) {
      for (int u = 0; u < 2; ++u) {
        for (size_t l = 0; l < 16; l += lanes) {
          const auto q = hn::PromoteTo(di, hn::LoadU(d8, b.qs + 32 * h + 16 * u + l));
          const auto hm = hn::PromoteTo(di, hn::LoadU(d8, b.hmask + 16 * u + l));
          for (int j = 0; j < 4; ++j) {
            const int s = 8 * h + 2 * j + u;
            const int low_sc = s < 8 ? b.scales[s] & 0xF : b.scales[s - 8] >> 4;
            const int high_sc = (b.scales[8 + s % 4] >> (2 * (s / 4))) & 3;
            const float dl = d * static_cast<float>((low_sc | high_sc << 4) - 32);
            const auto low = hn::And(hn::ShiftRightSame(q, 2 * j), mask2);
            const auto high = hn::And(hn::ShiftRightSame(hm, 4 * h + j), one);
            const auto v = hn::Sub(hn::Or(low, hn::ShiftLeft<2>(high)), offset);
            hn::StoreU(hn::Mul(hn::Set(df, dl), hn::ConvertTo(df, v)), df,
                       y + 128 * h + 32 * j + 16 * u + l);
          }
        }
      }
    }
  }
}

// Element 128h + 32k + i (i < 32): nibble k / 2 of ql[64h + 32(k % 2) + i], bits 2k..2k+1 of
// qh[32h + i]; sub-block 8h + 2k + i / 16. A vector of at most 16 lanes stays in one sub-block.
void DecodeRowQ6K(const std::byte* src, float* HWY_RESTRICT dst, int64_t n) {
  const DF16 df;
  const hn::Rebind<int32_t, DF16> di;
  const hn::Rebind<uint8_t, DF16> d8;
  const size_t lanes = hn::Lanes(df);
  const auto mask4 = hn::Set(di, 0xF), mask2 = hn::Set(di, 3), offset = hn::Set(di, 32);
  for (int64_t blk = 0; blk < n / kQK_K; ++blk) {
    const auto b = LoadBlockAt<BlockQ6_K>(src, blk);
    const float d = F16ToF32(b.d);
    float* y = dst + blk * kQK_K;
    for (int h = 0; h < 2; ++h) {
      for (size_t i = 0; i < 32; i += lanes) {
        const auto ql0 = hn::PromoteTo(di, hn::LoadU(d8, b.ql + 64 * h + i));
        const auto ql1 = hn::PromoteTo(di, hn::LoadU(d8, b.ql + 64 * h + 32 + i));
        const auto qh = hn::PromoteTo(di, hn::LoadU(d8, b.qh + 32 * h + i));
        const decltype(ql0) low[4] = {hn::And(ql0, mask4), hn::And(ql1, mask4),
                                      hn::ShiftRight<4>(ql0), hn::ShiftRight<4>(ql1)};
        for (int k = 0; k < 4; ++k) {
          const auto high = hn::And(hn::ShiftRightSame(qh, 2 * k), mask2);
          const auto q = hn::Sub(hn::Or(low[k], hn::ShiftLeft<4>(high)), offset);
          const float dl = d * static_cast<float>(b.scales[8 * h + 2 * k + i / 16]);
          hn::StoreU(hn::Mul(hn::Set(df, dl), hn::ConvertTo(df, q)), df, y + 128 * h + 32 * k + i);
        }
      }
    }
  }
}

// The group format (kernels/group_quant.h): codes LSB-first, out = s · (q − z) per group of
// group_size (a multiple of 32) codes. 4 bits: byte i holds codes 2i, 2i + 1; 2 bits: byte i
// holds codes 4i .. 4i + 3.
void DecodeGroupRow4(const uint8_t* HWY_RESTRICT packed, const uint16_t* scales,
                     const uint16_t* zeros, int64_t cols, int group_size, float* HWY_RESTRICT out) {
  const DF16 df;  // 16 bytes → 32 codes per step: one step per 32 codes of a group
  const hn::Rebind<int32_t, DF16> di;
  const hn::Rebind<uint8_t, DF16> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto mask = hn::Set(di, 0xF);
  const int64_t groups = cols / group_size;
  for (int64_t g = 0; g < groups; ++g) {
    const auto s = hn::Set(df, F16ToF32(scales[g]));
    const auto z = hn::Set(df, F16ToF32(zeros[g]));
    const uint8_t* p = packed + g * group_size / 2;
    float* o = out + g * group_size;
    for (int64_t i = 0; i < group_size / 2; i += lanes) {
      const auto v = hn::PromoteTo(di, hn::LoadU(d8, p + i));
      const auto lo = hn::Mul(s, hn::Sub(hn::ConvertTo(df, hn::And(v, mask)), z));
      const auto hi = hn::Mul(s, hn::Sub(hn::ConvertTo(df, hn::ShiftRight<4>(v)), z));
      hn::StoreInterleaved2(lo, hi, df, o + 2 * i);
    }
  }
}

void DecodeGroupRow2(const uint8_t* HWY_RESTRICT packed, const uint16_t* scales,
                     const uint16_t* zeros, int64_t cols, int group_size, float* HWY_RESTRICT out) {
  const hn::CappedTag<float, 8> df;  // 8 bytes → 32 codes per step
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<uint8_t, decltype(df)> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto mask = hn::Set(di, 3);
  const int64_t groups = cols / group_size;
  for (int64_t g = 0; g < groups; ++g) {
    const auto s = hn::Set(df, F16ToF32(scales[g]));
    const auto z = hn::Set(df, F16ToF32(zeros[g]));
    const uint8_t* p = packed + g * group_size / 4;
    float* o = out + g * group_size;
    for (int64_t i = 0; i < group_size / 4; i += lanes) {
      const auto v = hn::PromoteTo(di, hn::LoadU(d8, p + i));
      const auto c0 = hn::Mul(s, hn::Sub(hn::ConvertTo(df, hn::And(v, mask)), z));
      const auto c1 =
          hn::Mul(s, hn::Sub(hn::ConvertTo(df, hn::And(hn::ShiftRight<2>(v), mask)), z));
      const auto c2 =
          hn::Mul(s, hn::Sub(hn::ConvertTo(df, hn::And(hn::ShiftRight<4>(v), mask)), z));
      const auto c3 = hn::Mul(s, hn::Sub(hn::ConvertTo(df, hn::ShiftRight<6>(v)), z));
      hn::StoreInterleaved4(c0, c1, c2, c3, df, o + 4 * i);
    }
  }
}

}  // namespace

// The kernel of `dtype` (a DType as uint32) on this target, or nullptr.
RowDecodeFn RowDecoderImpl(uint32_t dtype) {
  struct Entry {
    DType type;
    RowDecodeFn fn;
  };
  static constexpr Entry kTable[] = {
      {DType::kQ4_K, &DecodeRowQ4K},
      {DType::kQ2_K, &DecodeRowQ2K},
      {DType::kQ3_K, &DecodeRowQ3K},
      {DType::kQ6_K, &DecodeRowQ6K},
  };
  for (const Entry& e : kTable) {
    if (static_cast<uint32_t>(e.type) == dtype) return e.fn;
  }
  return nullptr;
}

// Indexed by bit width.
GroupRowDecodeFn GroupRowDecoderImpl(int bits) {
  static constexpr GroupRowDecodeFn kTable[9] = {nullptr, nullptr,          &DecodeGroupRow2,
                                                 nullptr, &DecodeGroupRow4, nullptr,
                                                 nullptr, nullptr,          nullptr};
  return bits >= 0 && bits <= 8 ? kTable[bits] : nullptr;
}

const char* RowDecodeTargetImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace lieq
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace lieq {

HWY_EXPORT(RowDecoderImpl);
HWY_EXPORT(GroupRowDecoderImpl);

RowDecodeFn SimdRowDecoder(DType type) {
  return HWY_DYNAMIC_DISPATCH(RowDecoderImpl)(static_cast<uint32_t>(type));
}

GroupRowDecodeFn SimdGroupRowDecoder(int bits) {
  return HWY_DYNAMIC_DISPATCH(GroupRowDecoderImpl)(bits);
}

void DequantizeRowFast(DType type, const std::byte* src, float* dst, int64_t n) {
  if (const RowDecodeFn fn = SimdRowDecoder(type)) return fn(src, dst, n);
  DequantizeRow(type, src, dst, n);
}

HWY_EXPORT(RowDecodeTargetImpl);
const char* RowDecodeSimdTarget() { return HWY_DYNAMIC_DISPATCH(RowDecodeTargetImpl)(); }

}  // namespace lieq
#endif  // HWY_ONCE
