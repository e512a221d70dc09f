// SIMD integer dot kernels (vec_dot.h), compiled once per target by Highway's foreach_target.h
// and dispatched at run time. Every kernel follows one pattern:
//   - codes of N contiguous elements (N = 16-bit lanes, at most 32) are loaded as bytes,
//     widened to int16 and unpacked with vector shifts and masks;
//   - multiplied by their sub-block scale (an int16 vector looked up from the block's scale bytes
//     with TableLookupBytes: lane l gets the scale of element e0 + l) and multiply-added with the
//     int16 activations into int32 sums (ReorderWidenMulAccumulate: pmaddwd on x86);
//   - the int32 sums are converted and scaled by the float super-scales once per block.
// The integer products fit: |code · scale| <= 32 · 128 = 4096 (Q6_K), times |a| <= 127, and a
// 256-element super-block sums to at most 1.4e8 < 2^31.

// SVE and RVV are sizeless and not needed here; as matmul_gemv.cc.
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/vec_dot_simd.cc"
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/half.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/block_formats.h"
#include "kernels/vec_dot.h"

#ifndef LIEQ_VEC_DOT_TABLES
#define LIEQ_VEC_DOT_TABLES
namespace lieq::vec_dot_tables {
// kSubBlock<S>[k] = k / S: sub-block indices for TableLookupBytes, which then builds an int16
// lane holding a sub-block's scale byte twice (scale · 257), whose arithmetic >> 8 is the signed
// scale. Byte k of a lookup belongs to int16 lane k / 2:
//   - int16 kernels, lane l = element e0 + l: load at 2·e0 from the table of 2S, because
//     (2e0 + k) / 2S = (e0 + k / 2) / S;
//   - byte kernels, lane l = the pair of elements e0 + 2l, e0 + 2l + 1 (e0 even): load at e0 from
//     the table of S, because (e0 + k) / S is the pair's sub-block.
template <int kSubBlock>
constexpr std::array<uint8_t, 512> MakeSubBlockIndex() {
  std::array<uint8_t, 512> t{};
  for (int k = 0; k < 512; ++k) t[k] = static_cast<uint8_t>(k / kSubBlock);
  return t;
}
alignas(64) inline constexpr auto kSubBlock16 = MakeSubBlockIndex<16>();
alignas(64) inline constexpr auto kSubBlock32 = MakeSubBlockIndex<32>();
alignas(64) inline constexpr auto kSubBlock64 = MakeSubBlockIndex<64>();

// kPlaneShift<b>[p]: multiplier that moves the b-bit code at plane p / (32 / (8/b) ... ) of a byte
// to the top of a 16-bit lane: position p of a 32-element block holds plane j = p / (4b), whose
// bits [b·j, b·j + b) of the byte go to [16 − b, 16) when multiplied by 2^(16 − b − b·j).
template <int kBits>
constexpr std::array<uint16_t, 32> MakePlaneShift() {
  std::array<uint16_t, 32> t{};
  for (int p = 0; p < 32; ++p)
    t[p] = static_cast<uint16_t>(1u << (16 - kBits - kBits * (p / (4 * kBits))));
  return t;
}
alignas(64) inline constexpr auto kPlaneShift2 = MakePlaneShift<2>();
alignas(64) inline constexpr auto kPlaneShift4 = MakePlaneShift<4>();
}  // namespace lieq::vec_dot_tables
#endif

HWY_BEFORE_NAMESPACE();
// Highway 1.0.3's AVX3_DL attributes name "avxvnni" (the VEX form) but not "avx512vnni", which
// the Q2_K kernel's vpdpbusd needs; its run-time check does require AVX512-VNNI, so adding the
// attribute for this target is safe.
#define LIEQ_AVX3_DL_EXTRA ",avx512vnni"
#include "kernels/avx3_dl_extra_begin-inl.h"
#undef LIEQ_AVX3_DL_EXTRA
namespace lieq {
namespace HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using namespace vec_dot_tables;  // NOLINT: the tables above

// Set below for the targets that compile the AVX512-VNNI/VBMI Q2_K kernel; this file is compiled
// once per target, so clear it for each.
#undef LIEQ_HAVE_Q2K_VNNI

#if HWY_TARGET != HWY_SCALAR

using D16 = hn::CappedTag<int16_t, 32>;
using D32 = hn::Repartition<int32_t, D16>;
using DF = hn::Repartition<float, D16>;
using DU8 = hn::Rebind<uint8_t, D16>;  // N bytes, one per 16-bit lane
using DI8 = hn::Rebind<int8_t, D16>;
using DU16 = hn::RebindToUnsigned<D16>;
using DBytes = hn::Repartition<uint8_t, D16>;  // 2N bytes: a whole vector
using V16 = hn::Vec<D16>;
using V32 = hn::Vec<D32>;

uint16_t ReadU16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// int32 sums of products; the second accumulator is needed by targets whose widening
// multiply-add splits even and odd lanes (it stays zero on x86).
struct Acc32 {
  V32 a, b;
  explicit Acc32(D32 d) : a(hn::Zero(d)), b(hn::Zero(d)) {}
  void MulAdd(V16 x, V16 y) { a = hn::ReorderWidenMulAccumulate(D32(), x, y, a, b); }
  V32 Sum() const { return hn::Add(a, b); }
};

// Codes of elements [e0, e0 + N) of the bytes at p (one byte per element), widened.
V16 LoadBytes(const uint8_t* p) { return hn::PromoteTo(D16(), hn::LoadU(DU8(), p)); }

// Scale of elements [e0, e0 + N) from 16 signed scale bytes (`scales`, duplicated to every
// 128-bit block); `index` is the kSubBlock table of twice the sub-block size (see above).

V16 LookupScale(hn::Vec<DBytes> scales, const uint8_t* index, int e0) {
  const DBytes db;
  const auto pair = hn::TableLookupBytes(scales, hn::LoadU(db, index + 2 * e0));
  return hn::ShiftRight<8>(hn::BitCast(D16(), pair));
}

float Finish(hn::Vec<DF> acc, float offset) {
  return hn::GetLane(hn::SumOfLanes(DF(), acc)) - offset;
}

// Σ_s m_s · sums[s] for kCount mins m_s = bytes[s] >> kShift, as float lanes added to acc
// (vectorised: a scalar loop over the mins cost more than the codes' integer dot).
template <int kCount, int kShift, class DM>
hn::Vec<DM> AddMins(DM dm, const uint8_t* bytes, const float* sums, float scale, hn::Vec<DM> acc) {
  const hn::Rebind<int32_t, DM> di;
  const hn::Rebind<uint8_t, DM> du8;
  const int n = static_cast<int>(hn::Lanes(dm));
  for (int s0 = 0; s0 < kCount; s0 += n) {
    const auto m = hn::ShiftRight<kShift>(hn::PromoteTo(di, hn::LoadU(du8, bytes + s0)));
    acc = hn::MulAdd(hn::Mul(hn::ConvertTo(dm, m), hn::LoadU(dm, sums + s0)), hn::Set(dm, scale),
                     acc);
  }
  return acc;
}
using DM16 = hn::CappedTag<float, 16>;  // the 16 mins of Q2_K
using DM8 = hn::CappedTag<float, 8>;    // the 8 mins of Q4_K / Q5_K

HWY_INLINE float DotQ2K(const std::byte* row, const Q8Row& a) {
  const D16 d16;
  const DF df;
  const DBytes db;
  const int n = static_cast<int>(hn::Lanes(d16));
  auto facc = hn::Zero(df);
  auto macc = hn::Zero(DM16());
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += sizeof(BlockQ2_K)) {
    const uint8_t* scales = p;
    const uint8_t* qs = p + 16;
    const auto sc = hn::And(hn::LoadDup128(db, scales), hn::Set(db, 15));
    const int16_t* q8 = a.q + i * kQK_K;
    Acc32 acc{D32()};
    for (int h = 0; h < 2; ++h) {
      for (int b0 = 0; b0 < 32; b0 += n) {
        const V16 v = LoadBytes(qs + 32 * h + b0);
        for (int j = 0; j < 4; ++j) {
          const int e0 = 128 * h + 32 * j + b0;
          const V16 q = hn::And(hn::ShiftRightSame(v, 2 * j), hn::Set(d16, 3));
          acc.MulAdd(hn::Mul(q, LookupScale(sc, kSubBlock32.data(), e0)), hn::LoadU(d16, q8 + e0));
        }
      }
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()),
                      hn::Set(df, F16ToF32(ReadU16(p + 80)) * a.scale[i]), facc);
    macc = AddMins<16, 4>(DM16(), scales, a.sum16 + i * 16, F16ToF32(ReadU16(p + 82)), macc);
  }
  return Finish(hn::Sub(facc, macc), 0);  // DM16 and DF have the same lanes
}

// The 16 six-bit scales of Q3_K (before subtracting 32), as bytes, from its 12 packed bytes.
void UnpackScalesQ3K(const uint8_t* packed, uint8_t* out) {
  uint32_t w[3];
  std::memcpy(w, packed, 12);
  const uint32_t low4 = 0x0F0F0F0Fu, low2 = 0x03030303u;
  const uint32_t words[4] = {(w[0] & low4) | ((w[2] & low2) << 4),
                             (w[1] & low4) | (((w[2] >> 2) & low2) << 4),
                             ((w[0] >> 4) & low4) | (((w[2] >> 4) & low2) << 4),
                             ((w[1] >> 4) & low4) | (((w[2] >> 6) & low2) << 4)};
  std::memcpy(out, words, 16);
}

HWY_INLINE float DotQ3K(const std::byte* row, const Q8Row& a) {
  const D16 d16;
  const DF df;
  const DBytes db;
  const int n = static_cast<int>(hn::Lanes(d16));
  auto facc = hn::Zero(df);
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  alignas(16) uint8_t sc_bytes[16];
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += sizeof(BlockQ3_K)) {
    const uint8_t* hmask = p;
    const uint8_t* qs = p + 32;
    UnpackScalesQ3K(p + 96, sc_bytes);
    const auto sc = hn::Sub(hn::LoadDup128(db, sc_bytes), hn::Set(db, 32));  // two's complement
    const int16_t* q8 = a.q + i * kQK_K;
    Acc32 acc{D32()};
    for (int h = 0; h < 2; ++h) {
      for (int b0 = 0; b0 < 32; b0 += n) {
        const V16 v = LoadBytes(qs + 32 * h + b0);
        const V16 hm = LoadBytes(hmask + b0);
        for (int j = 0; j < 4; ++j) {
          const int e0 = 128 * h + 32 * j + b0;
          const V16 low = hn::And(hn::ShiftRightSame(v, 2 * j), hn::Set(d16, 3));
          const V16 high = hn::And(hn::ShiftRightSame(hm, 4 * h + j), hn::Set(d16, 1));
          const V16 q = hn::Sub(hn::Or(low, hn::ShiftLeft<2>(high)), hn::Set(d16, 4));
          acc.MulAdd(hn::Mul(q, LookupScale(sc, kSubBlock32.data(), e0)), hn::LoadU(d16, q8 + e0));
        }
      }
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()),
                      hn::Set(df, F16ToF32(ReadU16(p + 108)) * a.scale[i]), facc);
  }
  return Finish(facc, 0);
}

// The 8 six-bit scales (bytes 0-7) and mins (bytes 8-15) of Q4_K / Q5_K from 12 packed bytes.
void UnpackScalesQ4K(const uint8_t* packed, uint8_t* out) {
  uint32_t w[3];
  std::memcpy(w, packed, 12);
  const uint32_t low6 = 0x3F3F3F3Fu, low4 = 0x0F0F0F0Fu, low2 = 0x03030303u;
  const uint32_t words[4] = {w[0] & low6, (w[2] & low4) | (((w[0] >> 6) & low2) << 4), w[1] & low6,
                             ((w[2] >> 4) & low4) | (((w[1] >> 6) & low2) << 4)};
  std::memcpy(out, words, 16);
}

template <bool kFifthBit>
HWY_INLINE float DotQ45K(const std::byte* row, const Q8Row& a) {
  const D16 d16;
  const DF df;
  const DBytes db;
  const int n = static_cast<int>(hn::Lanes(d16));
  constexpr int kBlockBytes = kFifthBit ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  auto facc = hn::Zero(df);
  auto macc = hn::Zero(DM8());
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  alignas(16) uint8_t sc_bytes[16];
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += kBlockBytes) {
    const uint8_t* qh = p + 16;
    const uint8_t* qs = p + (kFifthBit ? 48 : 16);
    UnpackScalesQ4K(p + 4, sc_bytes);
    const auto sc = hn::LoadDup128(db, sc_bytes);
    const int16_t* q8 = a.q + i * kQK_K;
    macc = AddMins<8, 0>(DM8(), sc_bytes + 8, a.sum32 + i * 8, F16ToF32(ReadU16(p + 2)), macc);
    Acc32 acc{D32()};
    for (int g = 0; g < 4; ++g) {
      for (int b0 = 0; b0 < 32; b0 += n) {
        const V16 v = LoadBytes(qs + 32 * g + b0);
        V16 lo = hn::And(v, hn::Set(d16, 15));
        V16 hi = hn::ShiftRight<4>(v);
        if constexpr (kFifthBit) {
          const V16 h = LoadBytes(qh + b0);
          lo = hn::Or(lo, hn::ShiftLeft<4>(hn::And(hn::ShiftRightSame(h, 2 * g), hn::Set(d16, 1))));
          hi = hn::Or(hi,
                      hn::ShiftLeft<4>(hn::And(hn::ShiftRightSame(h, 2 * g + 1), hn::Set(d16, 1))));
        }
        const int e0 = 64 * g + b0;
        acc.MulAdd(hn::Mul(lo, LookupScale(sc, kSubBlock64.data(), e0)), hn::LoadU(d16, q8 + e0));
        acc.MulAdd(hn::Mul(hi, LookupScale(sc, kSubBlock64.data(), e0 + 32)),
                   hn::LoadU(d16, q8 + e0 + 32));
      }
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()), hn::Set(df, F16ToF32(ReadU16(p)) * a.scale[i]),
                      facc);
  }
  return Finish(facc, hn::GetLane(hn::SumOfLanes(DM8(), macc)));
}

HWY_INLINE float DotQ6K(const std::byte* row, const Q8Row& a) {
  const D16 d16;
  const DF df;
  const DBytes db;
  const int n = static_cast<int>(hn::Lanes(d16));
  auto facc = hn::Zero(df);
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  const V16 low4 = hn::Set(d16, 15), low2 = hn::Set(d16, 3), bias = hn::Set(d16, 32);
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += sizeof(BlockQ6_K)) {
    const uint8_t* ql = p;
    const uint8_t* qh = p + 128;
    const auto sc = hn::LoadDup128(db, p + 192);
    const int16_t* q8 = a.q + i * kQK_K;
    Acc32 acc{D32()};
    for (int h = 0; h < 2; ++h) {
      for (int b0 = 0; b0 < 32; b0 += n) {
        const V16 l0 = LoadBytes(ql + 64 * h + b0);
        const V16 l1 = LoadBytes(ql + 64 * h + 32 + b0);
        const V16 hv = LoadBytes(qh + 32 * h + b0);
        const V16 q[4] = {
            hn::Or(hn::And(l0, low4), hn::ShiftLeft<4>(hn::And(hv, low2))),
            hn::Or(hn::And(l1, low4), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<2>(hv), low2))),
            hn::Or(hn::ShiftRight<4>(l0), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<4>(hv), low2))),
            hn::Or(hn::ShiftRight<4>(l1), hn::ShiftLeft<4>(hn::ShiftRight<6>(hv)))};
        for (int j = 0; j < 4; ++j) {
          const int e0 = 128 * h + 32 * j + b0;
          acc.MulAdd(hn::Mul(hn::Sub(q[j], bias), LookupScale(sc, kSubBlock32.data(), e0)),
                     hn::LoadU(d16, q8 + e0));
        }
      }
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()),
                      hn::Set(df, F16ToF32(ReadU16(p + 208)) * a.scale[i]), facc);
  }
  return Finish(facc, 0);
}

HWY_INLINE float DotQ8_0(const std::byte* row, const Q8Row& a) {
  const D16 d16;
  const DF df;
  const int n = static_cast<int>(hn::Lanes(d16));
  auto facc = hn::Zero(df);
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  for (int64_t i = 0; i < a.cols / kQK; ++i, p += sizeof(BlockQ8_0)) {
    const auto* qs = reinterpret_cast<const int8_t*>(p + 2);
    Acc32 acc{D32()};
    for (int b0 = 0; b0 < kQK; b0 += n) {
      acc.MulAdd(hn::PromoteTo(d16, hn::LoadU(DI8(), qs + b0)), hn::LoadU(d16, a.q + i * kQK + b0));
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()), hn::Set(df, F16ToF32(ReadU16(p)) * a.scale[i]),
                      facc);
  }
  return Finish(facc, 0);
}

// Positions [p0, p0 + N) of a 32-element block whose codes are the bit planes of B = 4 · kBits
// bytes (position p: plane p / B of byte p % B), as int16 codes. The bytes are replicated across
// the vector when it covers more than B positions, then each lane's plane is shifted to the top
// of the lane by a multiply and brought down by one uniform shift.
template <int kBits>
V16 LoadPlanes(const uint8_t* bytes, int p0) {
  const DU8 du8;
  const DU16 du16;
  constexpr int kBytes = 4 * kBits;
  const int n = static_cast<int>(hn::Lanes(du8));
  hn::Vec<DU8> b;
  if constexpr (kBytes == 8) {
    uint64_t word;
    std::memcpy(&word, bytes, 8);
    b = hn::BitCast(du8, hn::Set(hn::Repartition<uint64_t, DU8>(), word));
  } else {
    b = n >= kBytes ? hn::LoadDup128(du8, bytes) : hn::LoadU(du8, bytes + p0 % kBytes);
  }
  const uint16_t* shift = kBits == 2 ? kPlaneShift2.data() : kPlaneShift4.data();
  const auto wide = hn::Mul(hn::PromoteTo(du16, b), hn::LoadU(du16, shift + p0));
  return hn::BitCast(D16(), hn::ShiftRight<16 - kBits>(wide));
}

template <bool kMin>
HWY_INLINE float DotQ4Legacy(const std::byte* row, const Q8Row& a) {
  const D16 d16;
  const DF df;
  const int n = static_cast<int>(hn::Lanes(d16));
  constexpr int kBlockBytes = kMin ? sizeof(BlockQ4_1) : sizeof(BlockQ4_0);
  auto facc = hn::Zero(df);
  float offset = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  const V16 bias = hn::Set(d16, kMin ? 0 : 8);
  for (int64_t i = 0; i < a.cols / kQK; ++i, p += kBlockBytes) {
    const uint8_t* qs = p + (kMin ? 4 : 2);
    Acc32 acc{D32()};
    for (int p0 = 0; p0 < kQK; p0 += n) {
      acc.MulAdd(hn::Sub(LoadPlanes<4>(qs, p0), bias), hn::LoadU(d16, a.q + i * kQK + p0));
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()), hn::Set(df, F16ToF32(ReadU16(p)) * a.scale[i]),
                      facc);
    if constexpr (kMin) offset -= F16ToF32(ReadU16(p + 2)) * a.sum32[i];
  }
  return Finish(facc, offset);
}

// Codes [p0, p0 + N) of a 32-element block of the group format (layout GroupVecDotLayout).
template <int kBits>
V16 LoadGroupCodes(const uint8_t* bytes, int p0, int16_t* scratch) {
  if constexpr (kBits == 2 || kBits == 4) {
    return LoadPlanes<kBits>(bytes, p0);
  } else if constexpr (kBits == 8) {
    return LoadBytes(bytes + p0);
  } else {
    // 3 bits: eight codes are three bytes; unpacked by scalar code once per block (p0 == 0).
    if (p0 == 0) {
      for (int i = 0; i < 4; ++i) {
        uint32_t v = 0;
        std::memcpy(&v, bytes + 3 * i, 3);
        for (int j = 0; j < 8; ++j) scratch[8 * i + j] = static_cast<int16_t>((v >> (3 * j)) & 7);
      }
    }
    return hn::LoadU(D16(), scratch + p0);
  }
}

template <int kBits>
HWY_INLINE float GroupDot(const GroupRow& w, const Q8Row& a) {
  const D16 d16;
  const DF df;
  const int n = static_cast<int>(hn::Lanes(d16));
  auto facc = hn::Zero(df);
  float offset = 0;
  alignas(64) int16_t scratch[32];
  const int blocks_per_group = w.group_size / 32;
  for (int64_t g = 0; g < a.cols / w.group_size; ++g) {
    const float s = F16ToF32(w.scales[g]), z = F16ToF32(w.zeros[g]);
    float sum = 0;
    for (int64_t blk = g * blocks_per_group; blk < (g + 1) * blocks_per_group; ++blk) {
      const uint8_t* bytes = w.codes + blk * 4 * kBits;
      Acc32 acc{D32()};
      for (int p0 = 0; p0 < 32; p0 += n) {
        acc.MulAdd(LoadGroupCodes<kBits>(bytes, p0, scratch), hn::LoadU(d16, a.q + blk * 32 + p0));
      }
      facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()), hn::Set(df, s * a.scale[blk]), facc);
      sum += a.sum32[blk];
    }
    offset += s * z * sum;
  }
  return Finish(facc, offset);
}

#if HWY_ARCH_X86
// x86 byte kernels for the K formats: unsigned codes times signed 8-bit activations with one
// pmaddubsw (pairs summed into int16, no overflow: 2 · 63 · 127 < 2^15), then pmaddwd with the
// pair's sub-block scale into int32. Twice the elements per instruction of the int16 kernels
// above, which stay the portable path (Highway 1.0 has no unsigned-by-signed byte product).
// Formats whose codes carry a bias (Q3_K: q − 4, Q6_K: q − 32) subtract bias · Σ_s sc_s · Σa_s
// with the integer sums of a per 16 (Q8Row::bsum16).

constexpr int kVecBytes = HWY_MAX_BYTES > 64 ? 64 : HWY_MAX_BYTES;
using DB = hn::CappedTag<uint8_t, kVecBytes>;  // codes
using DSB = hn::RebindToSigned<DB>;            // activations
using DBH = hn::Half<DB>;
using VB = hn::Vec<DB>;

// Σ over pairs of q · a, as int16 lanes (pmaddubsw).
V16 MulAddPairs(VB q, hn::Vec<DSB> a) {
#if HWY_TARGET <= HWY_AVX3
  return V16{_mm512_maddubs_epi16(q.raw, a.raw)};
#elif HWY_TARGET == HWY_AVX2
  return V16{_mm256_maddubs_epi16(q.raw, a.raw)};
#else
  return V16{_mm_maddubs_epi16(q.raw, a.raw)};
#endif
}

// Accumulates codes q of elements [e0, e0 + kVecBytes) against the activations, each pair
// scaled by its sub-block's scale (looked up from `scales` through `subblock`).
void AddCodes(VB q, const int8_t* q8, VB scales, const uint8_t* subblock, int e0, Acc32& acc) {
  const DB db;
  const auto pair = hn::TableLookupBytes(scales, hn::LoadU(db, subblock + e0));
  const V16 scale = hn::ShiftRight<8>(hn::BitCast(D16(), pair));
  acc.MulAdd(MulAddPairs(q, hn::LoadU(DSB(), q8 + e0)), scale);
}

// Σ_s sc_s · Σa_s over 16 sub-blocks, as float lanes scaled by `scale` and added to acc.
hn::Vec<DM8> AddBiasTerm(const int8_t* sc, const int16_t* bsum, float scale, hn::Vec<DM8> acc) {
  const hn::CappedTag<int16_t, 16> dw;
  const hn::Repartition<int32_t, decltype(dw)> dd;
  const hn::Rebind<float, decltype(dd)> dfs;
  const int n = static_cast<int>(hn::Lanes(dw));
  for (int s0 = 0; s0 < 16; s0 += n) {
    auto sum1 = hn::Zero(dd);
    const auto sums = hn::ReorderWidenMulAccumulate(
        dd, hn::PromoteTo(dw, hn::LoadU(hn::Rebind<int8_t, decltype(dw)>(), sc + s0)),
        hn::LoadU(dw, bsum + s0), hn::Zero(dd), sum1);
    // dfs has at most 8 lanes, as DM8: the same vector type.
    acc = hn::MulAdd(hn::ConvertTo(dfs, hn::Add(sums, sum1)), hn::Set(dfs, scale), acc);
  }
  return acc;
}

#if HWY_TARGET <= HWY_AVX3
// A vector of 16-bit shift counts: `low` for bytes 0-31, `high` for bytes 32-63.
__m512i Shifts16(int low, int high) {
  return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<int16_t>(low)),
                            _mm256_set1_epi16(static_cast<int16_t>(high)), 1);
}
#endif

HWY_INLINE float DotQ2KBytes(const std::byte* row, const Q8Row& a) {
  const DB db;
  const DF df;
  auto facc = hn::Zero(df);
  auto macc = hn::Zero(DM16());
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  const VB mask2 = hn::Set(db, 3);
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += sizeof(BlockQ2_K)) {
    const uint8_t* scales = p;
    const uint8_t* qs = p + 16;
    const VB sc = hn::And(hn::LoadDup128(db, scales), hn::Set(db, 15));
    const int8_t* q8 = a.q8 + i * kQK_K;
    Acc32 acc{D32()};
    for (int h = 0; h < 2; ++h) {
      if constexpr (kVecBytes == 64) {
        // Planes j and j + 1 of the half's 32 bytes are elements 128h + 32j + [0, 64).
        const auto v = hn::LoadU(DBH(), qs + 32 * h);
        for (int j = 0; j < 4; j += 2) {
          const VB q = hn::And(
              hn::Combine(db, hn::ShiftRightSame(v, 2 * j + 2), hn::ShiftRightSame(v, 2 * j)),
              mask2);
          AddCodes(q, q8, sc, kSubBlock16.data(), 128 * h + 32 * j, acc);
        }
      } else {
        for (int b0 = 0; b0 < 32; b0 += kVecBytes) {
          const VB v = hn::LoadU(db, qs + 32 * h + b0);
          for (int j = 0; j < 4; ++j) {
            AddCodes(hn::And(hn::ShiftRightSame(v, 2 * j), mask2), q8, sc, kSubBlock16.data(),
                     128 * h + 32 * j + b0, acc);
          }
        }
      }
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()),
                      hn::Set(df, F16ToF32(ReadU16(p + 80)) * a.scale[i]), facc);
    macc = AddMins<16, 4>(DM16(), scales, a.sum16 + i * 16, F16ToF32(ReadU16(p + 82)), macc);
  }
  return Finish(hn::Sub(facc, macc), 0);  // DM16 and DF have the same lanes
}

#if HWY_TARGET <= HWY_AVX3_DL
// Q2_K with AVX512-VNNI and VBMI: compiled with the AVX3_DL target's attributes (which include
// both) and chosen at run time when CPUID reports that target (Zen 4/5, Ice Lake and later). q · sc (q < 4, sc < 16) fits a byte, so the 64 products of a super-block's 16
// sub-blocks and 4 code values form one 64-byte table (byte 4s + q = q · sc_s). Per 64 codes: one
// shift, one ternary-logic op that merges the codes with their lanes' sub-block numbers
// (4s | q), one vpermb that looks the products up, and one vpdpbusd that multiplies them by the
// activations and accumulates. One shuffle per 64 weights instead of three: shuffles are the
// scarce port on Zen 4, which double-pumps 512-bit ones.
alignas(64) inline constexpr auto kRepeat4 = [] {
  std::array<uint8_t, 64> t{};
  for (int i = 0; i < 64; ++i) t[i] = static_cast<uint8_t>(i / 4);
  return t;
}();
// Unit u = (half h = u / 2, planes p = 2 (u % 2) and p + 1 of the half's 32 bytes) holds
// elements 128h + 32p + [0, 64): byte i belongs to sub-block 8h + 2p + i / 16, stored as 4s.
alignas(64) inline constexpr auto kUnitSubBlocks = [] {
  std::array<std::array<uint8_t, 64>, 4> t{};
  for (int u = 0; u < 4; ++u) {
    for (int i = 0; i < 64; ++i)
      t[u][i] = static_cast<uint8_t>(4 * (8 * (u / 2) + 4 * (u % 2) + i / 16));
  }
  return t;
}();

HWY_INLINE float DotQ2KVnni(const std::byte* row, const Q8Row& a) {
  const DF df;
  auto facc = hn::Zero(df);
  auto macc = hn::Zero(DM16());
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  const __m512i repeat4 = _mm512_load_si512(kRepeat4.data());
  const __m512i keep1 = _mm512_set1_epi32(static_cast<int>(0xFFFFFF00u));
  const __m512i keep2 = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  const __m512i keep3 = _mm512_set1_epi32(static_cast<int>(0xFF000000u));
  const __m512i mask2 = _mm512_set1_epi8(3);
  // 16-bit shifts: planes p (bytes 0-31) and p + 1 (bytes 32-63) of the broadcast half.
  const __m512i shifts[2] = {Shifts16(0, 2), Shifts16(4, 6)};
  __m512i sub_blocks[4];
  for (int u = 0; u < 4; ++u) sub_blocks[u] = _mm512_load_si512(kUnitSubBlocks[u].data());
  constexpr int kAndOr = 0xEA;  // ternary logic: (a & b) | c
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += sizeof(BlockQ2_K)) {
    const uint8_t* scales = p;
    const uint8_t* qs = p + 16;
    const __m512i sc = _mm512_castsi128_si512(_mm_and_si128(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)), _mm_set1_epi8(15)));
    // Bytes 4s..4s+3: 0, sc_s, 2 sc_s, 3 sc_s.
    const __m512i rep = _mm512_permutexvar_epi8(repeat4, sc);
    const __m512i products =
        _mm512_add_epi8(_mm512_add_epi8(_mm512_and_si512(rep, keep1), _mm512_and_si512(rep, keep2)),
                        _mm512_and_si512(rep, keep3));
    const int8_t* q8 = a.q8 + i * kQK_K;
    // One accumulator per plane pair: two short vpdpbusd chains instead of one long one.
    __m512i acc[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
    for (int h = 0; h < 2; ++h) {
      const __m512i half =
          _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * h)));
      for (int pair = 0; pair < 2; ++pair) {
        const __m512i index = _mm512_ternarylogic_epi32(_mm512_srlv_epi16(half, shifts[pair]),
                                                        mask2, sub_blocks[2 * h + pair], kAndOr);
        acc[pair] = _mm512_dpbusd_epi32(acc[pair], _mm512_permutexvar_epi8(index, products),
                                        _mm512_loadu_si512(q8 + 128 * h + 64 * pair));
      }
    }
    facc = hn::MulAdd(hn::ConvertTo(df, V32{_mm512_add_epi32(acc[0], acc[1])}),
                      hn::Set(df, F16ToF32(ReadU16(p + 80)) * a.scale[i]), facc);
    macc = AddMins<16, 4>(DM16(), scales, a.sum16 + i * 16, F16ToF32(ReadU16(p + 82)), macc);
  }
  return Finish(hn::Sub(facc, macc), 0);  // DM16 and DF have the same lanes
}
#define LIEQ_HAVE_Q2K_VNNI 1
#endif

HWY_INLINE float DotQ3KBytes(const std::byte* row, const Q8Row& a) {
  const DB db;
  const DF df;
  auto facc = hn::Zero(df);
  auto bacc = hn::Zero(DM8());
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  alignas(16) uint8_t sc_bytes[16];
  [[maybe_unused]] const VB mask2 = hn::Set(db, 3), mask1 = hn::Set(db, 1);
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += sizeof(BlockQ3_K)) {
    const uint8_t* hmask = p;
    const uint8_t* qs = p + 32;
    UnpackScalesQ3K(p + 96, sc_bytes);
    for (uint8_t& b : sc_bytes) b = static_cast<uint8_t>(b - 32);  // two's complement sc − 32
    const VB sc = hn::LoadDup128(db, sc_bytes);
    const int8_t* q8 = a.q8 + i * kQK_K;
    const float d = F16ToF32(ReadU16(p + 108)) * a.scale[i];
    Acc32 acc{D32()};
    for (int h = 0; h < 2; ++h) {
#if HWY_TARGET <= HWY_AVX3
      {
        // Planes j and j + 1 (lanes 0-31, 32-63) of the half's 32 code bytes, broadcast, each
        // 16-bit lane shifted by its own amount; the high bits 4h + j and 4h + j + 1 of hmask
        // are moved to bit 2 the same way, so (low & 3) | high is one ternary-logic op.
        const __m512i half = _mm512_broadcast_i64x4(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * h)));
        const __m512i hm =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(hmask)));
        for (int pair = 0; pair < 2; ++pair) {
          const int bit = 4 * h + 2 * pair;  // of lanes 0-31; lanes 32-63 take bit + 1
          const __m512i low = _mm512_srlv_epi16(half, Shifts16(4 * pair, 4 * pair + 2));
          // Bit `bit` of each byte to bit 2: left by 2 − bit, or right by bit − 2. A 16-bit shift
          // moves bits between a lane's two bytes, but never into bit 2 of either.
          const __m512i high = bit < 2 ? _mm512_sllv_epi16(hm, Shifts16(2 - bit, 1 - bit))
                                       : _mm512_srlv_epi16(hm, Shifts16(bit - 2, bit - 1));
          const __m512i q = _mm512_ternarylogic_epi32(
              low, _mm512_set1_epi8(3), _mm512_and_si512(high, _mm512_set1_epi8(4)), 0xEA);
          AddCodes(VB{q}, q8, sc, kSubBlock16.data(), 128 * h + 64 * pair, acc);
        }
      }
#else
      {
        for (int b0 = 0; b0 < 32; b0 += kVecBytes) {
          const VB v = hn::LoadU(db, qs + 32 * h + b0);
          const VB hm = hn::LoadU(db, hmask + b0);
          for (int j = 0; j < 4; ++j) {
            const VB low = hn::And(hn::ShiftRightSame(v, 2 * j), mask2);
            const VB high = hn::And(hn::ShiftRightSame(hm, 4 * h + j), mask1);
            AddCodes(hn::Or(low, hn::ShiftLeft<2>(high)), q8, sc, kSubBlock16.data(),
                     128 * h + 32 * j + b0, acc);
          }
        }
      }
#endif
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()), hn::Set(df, d), facc);
    bacc = AddBiasTerm(reinterpret_cast<const int8_t*>(sc_bytes), a.bsum16 + i * 16, 4 * d, bacc);
  }
  return Finish(facc, hn::GetLane(hn::SumOfLanes(DM8(), bacc)));
}

HWY_INLINE float DotQ4KBytes(const std::byte* row, const Q8Row& a) {
  const DB db;
  const DF df;
  auto facc = hn::Zero(df);
  auto macc = hn::Zero(DM8());
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  alignas(16) uint8_t sc_bytes[16];
  const VB mask4 = hn::Set(db, 15);
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += sizeof(BlockQ4_K)) {
    const uint8_t* qs = p + 16;
    UnpackScalesQ4K(p + 4, sc_bytes);
    const VB sc = hn::LoadDup128(db, sc_bytes);
    const int8_t* q8 = a.q8 + i * kQK_K;
    macc = AddMins<8, 0>(DM8(), sc_bytes + 8, a.sum32 + i * 8, F16ToF32(ReadU16(p + 2)), macc);
    Acc32 acc{D32()};
    for (int g = 0; g < 4; ++g) {
      if constexpr (kVecBytes == 64) {
        const auto v = hn::LoadU(DBH(), qs + 32 * g);
        const VB q = hn::Combine(db, hn::ShiftRight<4>(v), hn::And(v, hn::Set(DBH(), 15)));
        AddCodes(q, q8, sc, kSubBlock32.data(), 64 * g, acc);
      } else {
        for (int b0 = 0; b0 < 32; b0 += kVecBytes) {
          const VB v = hn::LoadU(db, qs + 32 * g + b0);
          AddCodes(hn::And(v, mask4), q8, sc, kSubBlock32.data(), 64 * g + b0, acc);
          AddCodes(hn::ShiftRight<4>(v), q8, sc, kSubBlock32.data(), 64 * g + 32 + b0, acc);
        }
      }
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()), hn::Set(df, F16ToF32(ReadU16(p)) * a.scale[i]),
                      facc);
  }
  return Finish(facc, hn::GetLane(hn::SumOfLanes(DM8(), macc)));
}

HWY_INLINE float DotQ6KBytes(const std::byte* row, const Q8Row& a) {
  const DB db;
  const DF df;
  auto facc = hn::Zero(df);
  auto bacc = hn::Zero(DM8());
  const auto* p = reinterpret_cast<const uint8_t*>(row);
  const VB mask4 = hn::Set(db, 15), mask2 = hn::Set(db, 3);
  for (int64_t i = 0; i < a.cols / kQK_K; ++i, p += sizeof(BlockQ6_K)) {
    const uint8_t* ql = p;
    const uint8_t* qh = p + 128;
    const auto* scales = reinterpret_cast<const int8_t*>(p + 192);
    const VB sc = hn::LoadDup128(db, p + 192);
    const int8_t* q8 = a.q8 + i * kQK_K;
    const float d = F16ToF32(ReadU16(p + 208)) * a.scale[i];
    Acc32 acc{D32()};
    for (int h = 0; h < 2; ++h) {
      if constexpr (kVecBytes == 64) {
        // Low nibbles of ql[64h + k] are elements 128h + k, high nibbles 128h + 64 + k (k < 64);
        // their top bits are in qh[32h + k % 32] at bits 2(k / 32) and 4 + 2(k / 32).
        const VB l = hn::LoadU(db, ql + 64 * h);
        const auto hv = hn::LoadU(DBH(), qh + 32 * h);
        const VB hx = hn::Combine(db, hn::ShiftRight<2>(hv), hv);
        const VB q0 = hn::Or(hn::And(l, mask4), hn::ShiftLeft<4>(hn::And(hx, mask2)));
        const VB q1 =
            hn::Or(hn::ShiftRight<4>(l), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<4>(hx), mask2)));
        AddCodes(q0, q8, sc, kSubBlock16.data(), 128 * h, acc);
        AddCodes(q1, q8, sc, kSubBlock16.data(), 128 * h + 64, acc);
      } else {
        for (int c = 0; c < 2; ++c) {
          for (int b0 = 0; b0 < 32; b0 += kVecBytes) {
            const VB l = hn::LoadU(db, ql + 64 * h + 32 * c + b0);
            const VB hv = hn::LoadU(db, qh + 32 * h + b0);
            const VB q0 = hn::Or(hn::And(l, mask4),
                                 hn::ShiftLeft<4>(hn::And(hn::ShiftRightSame(hv, 2 * c), mask2)));
            const VB q1 =
                hn::Or(hn::ShiftRight<4>(l),
                       hn::ShiftLeft<4>(hn::And(hn::ShiftRightSame(hv, 4 + 2 * c), mask2)));
            AddCodes(q0, q8, sc, kSubBlock16.data(), 128 * h + 32 * c + b0, acc);
            AddCodes(q1, q8, sc, kSubBlock16.data(), 128 * h + 64 + 32 * c + b0, acc);
          }
        }
      }
    }
    facc = hn::MulAdd(hn::ConvertTo(df, acc.Sum()), hn::Set(df, d), facc);
    bacc = AddBiasTerm(scales, a.bsum16 + i * 16, 32 * d, bacc);
  }
  return Finish(facc, hn::GetLane(hn::SumOfLanes(DM8(), bacc)));
}

#if HWY_TARGET <= HWY_AVX2
// Group format at 2 and 4 bits: one 32-element block per 256-bit vector (AVX2, and AVX-512 with
// VL encodings, which run at full rate on the 2-core Zen 4 this was tuned on). The plane layout
// of the activations (GroupVecDotLayout) makes the unpack one broadcast, one per-32-bit-lane
// shift and one mask: position p of a block is plane p / (4b) of byte p % (4b), so the bytes
// repeat every 4b positions and each 32-bit lane needs one shift. (8-bit codes would saturate
// pmaddubsw's int16 pairs; 3-bit codes straddle bytes: both use the int16 kernels.)
using DB32 = hn::Full256<uint8_t>;

template <int kBits>
hn::Vec<DB32> GroupBlockCodes(const uint8_t* bytes) {
  const DB32 db;
  const hn::Repartition<uint32_t, DB32> du32;
  alignas(32) static constexpr uint32_t kShift2[8] = {0, 0, 2, 2, 4, 4, 6, 6};
  alignas(32) static constexpr uint32_t kShift4[8] = {0, 0, 0, 0, 4, 4, 4, 4};
  hn::Vec<decltype(du32)> v;
  if constexpr (kBits == 2) {
    uint64_t word;
    std::memcpy(&word, bytes, 8);
    v = hn::BitCast(du32, hn::Set(hn::Repartition<uint64_t, DB32>(), word));
  } else {
    v = hn::BitCast(du32, hn::LoadDup128(db, bytes));
  }
  const auto shifted = hn::BitCast(db, v >> hn::Load(du32, kBits == 2 ? kShift2 : kShift4));
  return hn::And(shifted, hn::Set(db, (1 << kBits) - 1));
}

template <int kBits>
HWY_INLINE float GroupDotBytes(const GroupRow& w, const Q8Row& a) {
  const hn::Full256<int8_t> dsb;
  const hn::Full256<int16_t> dw;
  const hn::Full256<int32_t> dd;
  const hn::Full256<float> df;
  auto facc = hn::Zero(df);
  const auto ones = hn::Set(dw, 1);
  float offset = 0;
  const int blocks_per_group = w.group_size / 32;
  for (int64_t g = 0; g < a.cols / w.group_size; ++g) {
    const float s = F16ToF32(w.scales[g]), z = F16ToF32(w.zeros[g]);
    float sum = 0;
    for (int64_t blk = g * blocks_per_group; blk < (g + 1) * blocks_per_group; ++blk) {
      const auto q = GroupBlockCodes<kBits>(w.codes + blk * 4 * kBits);
      const hn::Vec<decltype(dw)> pairs{
          _mm256_maddubs_epi16(q.raw, hn::LoadU(dsb, a.q8 + blk * 32).raw)};
      auto unused = hn::Zero(dd);
      const auto sums = hn::ReorderWidenMulAccumulate(dd, pairs, ones, hn::Zero(dd), unused);
      facc = hn::MulAdd(hn::ConvertTo(df, sums), hn::Set(df, s * a.scale[blk]), facc);
      sum += a.sum32[blk];
    }
    offset += s * z * sum;
  }
  return hn::GetLane(hn::SumOfLanes(df, facc)) - offset;
}
#endif  // HWY_TARGET <= HWY_AVX2
#endif  // HWY_ARCH_X86

// Row loops around the kernels. The kernel is a template argument, so the compiler inlines it
// and hoists its per-row set-up (constant vectors, table loads) out of the loop, and the next
// row's loads overlap the previous row's reductions.
template <VecDotFn kDot>
void DotRows(const std::byte* rows, int64_t row_bytes, int64_t count, const Q8Row& a, float* y) {
  for (int64_t r = 0; r < count; ++r) y[r] = kDot(rows + r * row_bytes, a);
}

template <GroupVecDotFn kDot>
void GroupDotRows(const GroupQuantView& w, int64_t r0, int64_t r1, const Q8Row& a, float* y) {
  for (int64_t r = r0; r < r1; ++r) y[r] = kDot(GroupRowAt(w, r), a);
}

struct BlockKernels {
  VecDotFn dot = nullptr;
  VecDotRowsFn rows = nullptr;
};
template <VecDotFn kDot>
BlockKernels Block() {
  return {kDot, &DotRows<kDot>};
}

struct GroupKernels {
  GroupVecDotFn dot = nullptr;
  GroupVecDotRowsFn rows = nullptr;
};
template <GroupVecDotFn kDot>
GroupKernels Group() {
  return {kDot, &GroupDotRows<kDot>};
}

// Kernel variants, fastest first; tests run every one (VecDotSimdKernels).
enum Variant : int { kBest = 0, kBytes = 1, kInt16 = 2 };

// The kernels of a block type: x86 byte kernels (and VNNI for Q2_K) where there are some, else
// the portable int16 ones.
BlockKernels BlockKernelsFor(DType type, int variant) {
  const bool int16 = variant == kInt16;
  switch (type) {
#if HWY_ARCH_X86
    case DType::kQ2_K:
#ifdef LIEQ_HAVE_Q2K_VNNI
      if (variant == kBest) return Block<&DotQ2KVnni>();
#endif
      return int16 ? Block<&DotQ2K>() : Block<&DotQ2KBytes>();
    case DType::kQ3_K:
      return int16 ? Block<&DotQ3K>() : Block<&DotQ3KBytes>();
    case DType::kQ4_K:
      return int16 ? Block<&DotQ45K<false>>() : Block<&DotQ4KBytes>();
    case DType::kQ6_K:
      return int16 ? Block<&DotQ6K>() : Block<&DotQ6KBytes>();
#else
    case DType::kQ2_K:
      return Block<&DotQ2K>();
    case DType::kQ3_K:
      return Block<&DotQ3K>();
    case DType::kQ4_K:
      return Block<&DotQ45K<false>>();
    case DType::kQ6_K:
      return Block<&DotQ6K>();
#endif
    case DType::kQ5_K:
      return Block<&DotQ45K<true>>();
    case DType::kQ8_0:
      return Block<&DotQ8_0>();
    case DType::kQ4_0:
      return Block<&DotQ4Legacy<false>>();
    case DType::kQ4_1:
      return Block<&DotQ4Legacy<true>>();
    default:
      return {};
  }
}

GroupKernels GroupKernelsFor(int bits, int variant) {
  [[maybe_unused]] const bool int16 = variant == kInt16;
  switch (bits) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
    case 2:
      return int16 ? Group<&GroupDot<2>>() : Group<&GroupDotBytes<2>>();
    case 4:
      return int16 ? Group<&GroupDot<4>>() : Group<&GroupDotBytes<4>>();
#else
    case 2:
      return Group<&GroupDot<2>>();
    case 4:
      return Group<&GroupDot<4>>();
#endif
    case 3:
      return Group<&GroupDot<3>>();
    case 8:
      return Group<&GroupDot<8>>();
    default:
      return {};
  }
}

// What VecDotImpl(type, kBest) runs, in words (lieq --version).
const char* VecDotKindImpl(uint32_t type) {
  switch (static_cast<DType>(type)) {
#if HWY_ARCH_X86
    case DType::kQ2_K:
#ifdef LIEQ_HAVE_Q2K_VNNI
      return "vpermb+vpdpbusd";
#endif
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ6_K:
      return "pmaddubsw";
#endif
    default:
      return BlockKernelsFor(static_cast<DType>(type), kBest).dot ? "int16" : "reference";
  }
}

VecDotFn VecDotImpl(uint32_t type, int variant) {
  return BlockKernelsFor(static_cast<DType>(type), variant).dot;
}
VecDotRowsFn VecDotRowsImpl(uint32_t type) {
  return BlockKernelsFor(static_cast<DType>(type), kBest).rows;
}
GroupVecDotFn GroupVecDotImpl(int bits, int variant) { return GroupKernelsFor(bits, variant).dot; }
GroupVecDotRowsFn GroupVecDotRowsImpl(int bits) { return GroupKernelsFor(bits, kBest).rows; }

#else  // HWY_SCALAR: one lane is no SIMD; callers use the references.

const char* VecDotKindImpl(uint32_t) { return "reference"; }
VecDotFn VecDotImpl(uint32_t, int) { return nullptr; }
VecDotRowsFn VecDotRowsImpl(uint32_t) { return nullptr; }
GroupVecDotFn GroupVecDotImpl(int, int) { return nullptr; }
GroupVecDotRowsFn GroupVecDotRowsImpl(int) { return nullptr; }

#endif

const char* VecDotTargetImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace lieq
#include "kernels/avx3_dl_extra_end-inl.h"
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace lieq {

HWY_EXPORT(VecDotImpl);
HWY_EXPORT(VecDotKindImpl);
HWY_EXPORT(VecDotTargetImpl);
HWY_EXPORT(VecDotRowsImpl);
HWY_EXPORT(GroupVecDotImpl);
HWY_EXPORT(GroupVecDotRowsImpl);

VecDotFn VecDotSimd(DType type) {
  return HWY_DYNAMIC_DISPATCH(VecDotImpl)(static_cast<uint32_t>(type), 0);
}

std::vector<VecDotFn> VecDotSimdKernels(DType type) {
  std::vector<VecDotFn> all;
  for (int variant = 0; variant < 3; ++variant) {
    const VecDotFn fn = HWY_DYNAMIC_DISPATCH(VecDotImpl)(static_cast<uint32_t>(type), variant);
    if (fn != nullptr && std::find(all.begin(), all.end(), fn) == all.end()) all.push_back(fn);
  }
  return all;
}

VecDotRowsFn VecDotRowsSimd(DType type) {
  return HWY_DYNAMIC_DISPATCH(VecDotRowsImpl)(static_cast<uint32_t>(type));
}

GroupVecDotFn GroupVecDotSimd(int bits) { return HWY_DYNAMIC_DISPATCH(GroupVecDotImpl)(bits, 0); }

std::vector<GroupVecDotFn> GroupVecDotSimdKernels(int bits) {
  std::vector<GroupVecDotFn> all;
  for (int variant = 0; variant < 3; ++variant) {
    const GroupVecDotFn fn = HWY_DYNAMIC_DISPATCH(GroupVecDotImpl)(bits, variant);
    if (fn != nullptr && std::find(all.begin(), all.end(), fn) == all.end()) all.push_back(fn);
  }
  return all;
}

GroupVecDotRowsFn GroupVecDotRowsSimd(int bits) {
  return HWY_DYNAMIC_DISPATCH(GroupVecDotRowsImpl)(bits);
}

const char* VecDotSimdTarget() { return HWY_DYNAMIC_DISPATCH(VecDotTargetImpl)(); }
const char* VecDotSimdKind(DType type) {
  return HWY_DYNAMIC_DISPATCH(VecDotKindImpl)(static_cast<uint32_t>(type));
}

}  // namespace lieq
#endif  // HWY_ONCE
