// Tile kernels of the integer prefill GEMM (kernels/gemm_q8.h), compiled once per target by
// Highway's foreach_target.h and dispatched at run time.
//
// A tile is kGemmTileRows = 16 weight rows over all `cols`. It is unpacked in two steps:
//   1. per row, the format's codes to one unsigned byte per element in natural order, with the
//      integer scale sc and offset coefficient m per 16 elements and the float d, dmin per
//      "kblock" (256 for the K formats, the group size up to 256 for the group format): plain
//      byte loops that the compiler vectorises for the target;
//   2. into the layout of the multiply-add, rows interleaved so that one vector holds the same
//      few columns of all 16 rows (one int32 lane per row):
//        vpdpbusd (AVX3_DL): bytes [cols/4][16][4], sc as int32 [cols/kSub][16] unless folded
//          into the code bytes (Q2_K: q·sc <= 45; the group format: sc = 1);
//        pmaddwd (other x86 targets): int16 [cols/2][16][2] holding q·sc (|q·sc| <= 63·128).
// The tile then meets T rows of activations at a time: per group of columns, one vector load
// of the tile and, per activation row, one broadcast of its 4 (2) quants into a multiply-add.
// Integer sums per sub-block are scaled by sc (vpdpbusd path) and per kblock converted to float:
//   y += d_a · (d · Σ sc·q·a − dmin · Σ m · bsum16).
// Overflow: |Σ sc·q·a| over 256 elements <= 256 · 63 · 128 · 127 < 2^31 (Q6_K, the largest).

#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm_q8_simd.cc"
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/half.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/block_formats.h"
#include "kernels/gemm_q8.h"
#include "kernels/gemm_q8_tiles.h"

#ifndef LIEQ_GEMM_Q8_UNPACK
#define LIEQ_GEMM_Q8_UNPACK
namespace lieq::gemm_q8 {

// One row of the tile in natural order (step 1).
struct RowParts {
  uint8_t* q;   // [cols] unsigned codes
  int16_t* sc;  // [cols / 16] integer scale of each run of 16
  int16_t* m;   // [cols / 16] offset coefficient of each run of 16 (times Σa of the run)
  float* d;     // [cols / kblock]
  float* dmin;  // [cols / kblock]
};

inline uint16_t ReadU16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// The 6-bit scale of sub-block s of Q3_K (before subtracting 32).
inline int ScaleQ3K(const uint8_t* scales, int s) {
  const int low = s < 8 ? scales[s] & 15 : scales[s - 8] >> 4;
  const int high = (scales[8 + s % 4] >> (2 * (s / 4))) & 3;
  return low | high << 4;
}

// The 6-bit scale and min of sub-block s of Q4_K / Q5_K.
inline void ScaleMinK4(const uint8_t* scales, int s, int* sc, int* mn) {
  if (s < 4) {
    *sc = scales[s] & 63;
    *mn = scales[s + 4] & 63;
  } else {
    *sc = (scales[s + 4] & 15) | (scales[s - 4] >> 6) << 4;
    *mn = (scales[s + 4] >> 4) | (scales[s] >> 6) << 4;
  }
}

}  // namespace lieq::gemm_q8
#endif

HWY_BEFORE_NAMESPACE();
// As vec_dot_simd.cc: Highway 1.0.3's AVX3_DL attributes lack "avx512vnni", which vpdpbusd
// needs; its run-time check does require AVX512-VNNI, so adding the attribute is safe.
#define LIEQ_AVX3_DL_EXTRA ",avx512vnni"
#include "kernels/avx3_dl_extra_begin-inl.h"
#undef LIEQ_AVX3_DL_EXTRA
namespace lieq {
namespace HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using namespace gemm_q8;  // NOLINT: the helpers above

#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128

constexpr int kRows = static_cast<int>(kGemmTileRows);

// Step 1 for one 256-element block of a K format at `p`, elements [0, 256) of the outputs.
void UnpackQ2K(const uint8_t* p, uint8_t* q, int16_t* sc, int16_t* m, float* d, float* dmin) {
  const uint8_t* qs = p + 16;
  for (int h = 0; h < 2; ++h) {
    for (int j = 0; j < 4; ++j) {
      for (int b = 0; b < 32; ++b) q[128 * h + 32 * j + b] = (qs[32 * h + b] >> (2 * j)) & 3;
    }
  }
  for (int s = 0; s < 16; ++s) {
    sc[s] = p[s] & 15;
    m[s] = p[s] >> 4;
  }
  *d = F16ToF32(ReadU16(p + 80));
  *dmin = F16ToF32(ReadU16(p + 82));
}

void UnpackQ3K(const uint8_t* p, uint8_t* q, int16_t* sc, int16_t* m, float* d, float* dmin) {
  const uint8_t* hmask = p;
  const uint8_t* qs = p + 32;
  for (int h = 0; h < 2; ++h) {
    for (int j = 0; j < 4; ++j) {
      for (int b = 0; b < 32; ++b) {
        q[128 * h + 32 * j + b] = static_cast<uint8_t>(((qs[32 * h + b] >> (2 * j)) & 3) |
                                                       ((hmask[b] >> (4 * h + j)) & 1) << 2);
      }
    }
  }
  for (int s = 0; s < 16; ++s) {
    sc[s] = static_cast<int16_t>(ScaleQ3K(p + 96, s) - 32);
    m[s] = static_cast<int16_t>(4 * sc[s]);  // d · sc · (q − 4)
  }
  *d = *dmin = F16ToF32(ReadU16(p + 108));
}

template <bool kFifthBit>
void UnpackQ45K(const uint8_t* p, uint8_t* q, int16_t* sc, int16_t* m, float* d, float* dmin) {
  const uint8_t* qh = p + 16;
  const uint8_t* qs = p + (kFifthBit ? 48 : 16);
  for (int g = 0; g < 4; ++g) {
    for (int b = 0; b < 32; ++b) {
      int lo = qs[32 * g + b] & 15, hi = qs[32 * g + b] >> 4;
      if constexpr (kFifthBit) {
        lo |= ((qh[b] >> (2 * g)) & 1) << 4;
        hi |= ((qh[b] >> (2 * g + 1)) & 1) << 4;
      }
      q[64 * g + b] = static_cast<uint8_t>(lo);
      q[64 * g + 32 + b] = static_cast<uint8_t>(hi);
    }
  }
  for (int s = 0; s < 8; ++s) {
    int scale, mn;
    ScaleMinK4(p + 4, s, &scale, &mn);
    sc[2 * s] = sc[2 * s + 1] = static_cast<int16_t>(scale);
    m[2 * s] = m[2 * s + 1] = static_cast<int16_t>(mn);
  }
  *d = F16ToF32(ReadU16(p));
  *dmin = F16ToF32(ReadU16(p + 2));
}

void UnpackQ6K(const uint8_t* p, uint8_t* q, int16_t* sc, int16_t* m, float* d, float* dmin) {
  const uint8_t* ql = p;
  const uint8_t* qh = p + 128;
  for (int h = 0; h < 2; ++h) {
    for (int b = 0; b < 32; ++b) {
      const int l0 = ql[64 * h + b], l1 = ql[64 * h + 32 + b], hb = qh[32 * h + b];
      q[128 * h + b] = static_cast<uint8_t>((l0 & 15) | (hb & 3) << 4);
      q[128 * h + 32 + b] = static_cast<uint8_t>((l1 & 15) | ((hb >> 2) & 3) << 4);
      q[128 * h + 64 + b] = static_cast<uint8_t>((l0 >> 4) | ((hb >> 4) & 3) << 4);
      q[128 * h + 96 + b] = static_cast<uint8_t>((l1 >> 4) | ((hb >> 6) & 3) << 4);
    }
  }
  for (int s = 0; s < 16; ++s) {
    sc[s] = static_cast<int8_t>(p[192 + s]);
    m[s] = static_cast<int16_t>(32 * sc[s]);  // d · sc · (q − 32)
  }
  *d = *dmin = F16ToF32(ReadU16(p + 208));
}

using UnpackBlockFn = void (*)(const uint8_t*, uint8_t*, int16_t*, int16_t*, float*, float*);

struct FormatInfo {
  UnpackBlockFn unpack = nullptr;
  int sub = 0;  // elements per integer scale in the vpdpbusd tile; 0: folded into codes
};

FormatInfo FormatOf(DType type) {
  switch (type) {
    case DType::kQ2_K:
      return {&UnpackQ2K, 0};
    case DType::kQ3_K:
      return {&UnpackQ3K, 16};
    case DType::kQ4_K:
      return {&UnpackQ45K<false>, 32};
    case DType::kQ5_K:
      return {&UnpackQ45K<true>, 32};
    case DType::kQ6_K:
      return {&UnpackQ6K, 16};
    default:
      return {};
  }
}

// Elements per float scale of the group format's tile: the group, capped at 256 (the
// activations' block).
int GroupKBlock(const GroupQuantView& w) { return std::min(w.group_size, 256); }

// Step 1 for row r of the group format: codes, sc = 1, m = z per run of 16, d = dmin = s.
void UnpackGroupRow(const GroupQuantView& w, int64_t r, const RowParts& out) {
  const int64_t cols = w.cols;
  const uint8_t* p = w.codes + r * PackedRowBytes(w.bits, cols);
  uint8_t* q = out.q;
  switch (w.bits) {
    case 8:
      std::memcpy(q, p, static_cast<size_t>(cols));
      break;
    case 4:
      for (int64_t i = 0; i < cols / 2; ++i) {
        q[2 * i] = p[i] & 15;
        q[2 * i + 1] = p[i] >> 4;
      }
      break;
    case 2:
      for (int64_t i = 0; i < cols / 4; ++i) {
        for (int j = 0; j < 4; ++j) q[4 * i + j] = (p[i] >> (2 * j)) & 3;
      }
      break;
    default:  // 3: eight codes in three bytes, LSB first
      for (int64_t i = 0; i < cols / 8; ++i) {
        const uint32_t v = p[3 * i] | p[3 * i + 1] << 8 | p[3 * i + 2] << 16;
        for (int j = 0; j < 8; ++j) q[8 * i + j] = (v >> (3 * j)) & 7;
      }
  }
  const int64_t groups = w.groups_per_row();
  const uint16_t* scales = w.scales + r * groups;
  const uint16_t* zeros = w.zeros + r * groups;
  for (int64_t s = 0; s < cols / 16; ++s) {
    out.sc[s] = 1;
    out.m[s] = static_cast<int16_t>(std::lrint(F16ToF32(zeros[s * 16 / w.group_size])));
  }
  const int kblock = GroupKBlock(w);
  for (int64_t b = 0; b < cols / kblock; ++b) {
    out.d[b] = out.dmin[b] = F16ToF32(scales[b * kblock / w.group_size]);
  }
}

// Tile buffers in `scratch`: row parts (step 1) and the interleaved tile (step 2).
struct Tile {
  RowParts row;
  void* codes;  // [cols · 16] bytes (vpdpbusd) or int16
  int32_t* sc;  // [cols / 16][16]
  int16_t* m;   // [cols / 32][16][2]
  float* d;     // [cols / 32][16]
  float* dmin;  // [cols / 32][16]
};

// Tile `slot` of `slots` in `scratch` (grown to hold them all).
Tile CarveTile(int64_t cols, std::vector<std::byte>& scratch, int slot, int slots) {
  const size_t n16 = static_cast<size_t>(cols / 16), n32 = static_cast<size_t>(cols / 32);
  const size_t sizes[] = {static_cast<size_t>(cols),
                          n16 * 2,
                          n16 * 2,
                          n32 * 4,
                          n32 * 4,
                          static_cast<size_t>(cols) * kRows * 2,
                          n16 * kRows * 4,
                          n32 * kRows * 4,
                          n32 * kRows * 4,
                          n32 * kRows * 4};
  size_t total = 0;
  for (size_t s : sizes) total += (s + 63) / 64 * 64;
  if (scratch.size() < 64 + total * slots) scratch.resize(64 + total * slots);
  auto* base =
      reinterpret_cast<std::byte*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) / 64 * 64) +
      total * slot;
  std::byte* parts[10];
  for (int i = 0; i < 10; ++i) {
    parts[i] = base;
    base += (sizes[i] + 63) / 64 * 64;
  }
  Tile t;
  t.row = {reinterpret_cast<uint8_t*>(parts[0]), reinterpret_cast<int16_t*>(parts[1]),
           reinterpret_cast<int16_t*>(parts[2]), reinterpret_cast<float*>(parts[3]),
           reinterpret_cast<float*>(parts[4])};
  t.codes = parts[5];
  t.sc = reinterpret_cast<int32_t*>(parts[6]);
  t.m = reinterpret_cast<int16_t*>(parts[7]);
  t.d = reinterpret_cast<float*>(parts[8]);
  t.dmin = reinterpret_cast<float*>(parts[9]);
  return t;
}

// Step 1 for row r (any source) into t.row.
void UnpackRow(const GemmQ8Source& w, const FormatInfo& f, int64_t r, const Tile& t) {
  if (w.group) return UnpackGroupRow(w.view, r, t.row);
  const auto* p = reinterpret_cast<const uint8_t*>(w.data + r * w.row_bytes);
  const size_t block_bytes = static_cast<size_t>(RowBytes(w.type, kQK_K));
  for (int64_t b = 0; b < w.cols / kQK_K; ++b) {
    f.unpack(p + b * block_bytes, t.row.q + b * kQK_K, t.row.sc + b * 16, t.row.m + b * 16,
             t.row.d + b, t.row.dmin + b);
  }
}

// Step 2, the parts shared by both kernels: m pairs, d and dmin of row `lane` (zero rows past the
// matrix's end are written by the caller with all-zero parts).
void PlaceRowParts(const RowParts& row, int64_t cols, int kblock, int lane, const Tile& t) {
  for (int64_t p = 0; p < cols / 32; ++p) {
    t.m[(p * kRows + lane) * 2] = row.m[2 * p];
    t.m[(p * kRows + lane) * 2 + 1] = row.m[2 * p + 1];
  }
  for (int64_t b = 0; b < cols / kblock; ++b) {
    t.d[b * kRows + lane] = row.d[b];
    t.dmin[b * kRows + lane] = row.dmin[b];
  }
}

// Runs `kernel` (a template over the number T of activation rows per pass) over all n rows.
template <int kMaxT, template <int> class Kernel, class... Args>
void ForActivationRows(int64_t n, Args&&... args) {
  int64_t t = 0;
  for (; t + kMaxT <= n; t += kMaxT) Kernel<kMaxT>::Run(t, args...);
  const int64_t rest = n - t;
  if constexpr (kMaxT > 1) {
    if (rest > 0) {
      // Remainders, by halving: every T < kMaxT is a sum of distinct powers of two.
      for (int step = kMaxT / 2; step >= 1; step /= 2) {
        if (n - t >= step) {
          switch (step) {
            case 8:
              Kernel<8>::Run(t, args...);
              break;
            case 4:
              Kernel<4>::Run(t, args...);
              break;
            case 2:
              Kernel<2>::Run(t, args...);
              break;
            default:
              Kernel<1>::Run(t, args...);
          }
          t += step;
        }
      }
    }
  }
}

// What the row pass needs of the activations and the output.
struct Pass {
  const Q8Activations* a;
  int64_t cols;
  int kblock;
  int sub;   // vpdpbusd: elements per integer scale, 0 when folded
  float* y;  // y + r0
  int64_t ldy;
  int valid;  // rows of the tile inside the matrix
};

// Writes the T × 16 results of a pass (only the tile's valid rows).
template <int T>
void StoreRows(const float (&acc)[T][kRows], int64_t t0, const Pass& p) {
  for (int t = 0; t < T; ++t) {
    float* dst = p.y + (t0 + t) * p.ldy;
    for (int r = 0; r < p.valid; ++r) dst[r] = acc[t][r];
  }
}

#if HWY_TARGET <= HWY_AVX3_DL
// ---------------------------------------------------------------- vpdpbusd (AVX512-VNNI)

// Tile codes as bytes [cols/4][16][4]: 32-bit word k4 of row `lane` goes to word k4 · 16 + lane.
void PlaceCodesVnni(const RowParts& row, int64_t cols, int sub, int lane, const Tile& t) {
  auto* words = static_cast<uint32_t*>(t.codes);
  if (sub == 0) {  // fold the scale into the code byte
    // Per run of 16 with the scale in a local: uint8_t* may alias the int16 scales, which kept
    // the compiler from vectorising an element-wise loop (it was most of the unpack time).
    for (int64_t s = 0; s < cols / 16; ++s) {
      const uint8_t scale = static_cast<uint8_t>(row.sc[s]);
      uint8_t run[16];
      std::memcpy(run, row.q + 16 * s, 16);
      for (int i = 0; i < 16; ++i) run[i] = static_cast<uint8_t>(run[i] * scale);
      std::memcpy(row.q + 16 * s, run, 16);
    }
  } else {
    for (int64_t s = 0; s < cols / sub; ++s) t.sc[s * kRows + lane] = row.sc[s * sub / 16];
  }
  for (int64_t k4 = 0; k4 < cols / 4; ++k4) {
    uint32_t v;
    std::memcpy(&v, row.q + 4 * k4, 4);
    words[k4 * kRows + lane] = v;
  }
}

inline __m512i Broadcast32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// acc += Σ_4 w (unsigned bytes) · x (signed bytes) per int32 lane. GCC 12 compiles the intrinsic
// _mm512_dpbusd_epi32 with a register copy of the accumulator per instruction (and spills with
// 16 accumulators); the asm ties the accumulator to its register.
HWY_INLINE __m512i Dpbusd(__m512i acc, __m512i w, __m512i x) {
#if defined(__GNUC__) && !defined(__clang__)
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(w), "v"(x));
  return acc;
#else
  return _mm512_dpbusd_epi32(acc, w, x);
#endif
}

// kTiles tiles (16 rows each) against T rows of x: per column quad, one code load per tile and
// one broadcast of x per row, shared by the tiles (two tiles halve the broadcasts per vpdpbusd).
// Results accumulate in memory (`out`) once per kblock, which keeps the registers for the
// integer accumulators.
template <int kTiles, int T>
struct VnniPassN {
  static void Run(int64_t t0, const Tile* tiles, const Pass* passes) {
    const Pass& p = passes[0];  // cols, kblock, sub, activations: the same for every tile
    const Q8Row row0 = p.a->Row(t0);
    const int64_t stride = p.cols;  // Q8Activations rows are contiguous
    const int8_t* a8 = row0.q8;
    const int16_t* bsum = row0.bsum16;
    const float* ascale = row0.scale;
    const uint8_t* codes[kTiles];
    for (int i = 0; i < kTiles; ++i) codes[i] = static_cast<const uint8_t*>(tiles[i].codes);
    alignas(64) float out[kTiles][T][kRows] = {};
    for (int64_t k0 = 0; k0 < p.cols; k0 += p.kblock) {
      __m512i iacc[kTiles][T];
      for (int i = 0; i < kTiles; ++i) {
        for (int t = 0; t < T; ++t) iacc[i][t] = _mm512_setzero_si512();
      }
      if (p.sub == 0) {
        for (int64_t k = k0; k < k0 + p.kblock; k += 4) {
          __m512i w[kTiles];
          for (int i = 0; i < kTiles; ++i) w[i] = _mm512_load_si512(codes[i] + k * kRows);
          for (int t = 0; t < T; ++t) {
            const __m512i x = Broadcast32(a8 + t * stride + k);
            for (int i = 0; i < kTiles; ++i) iacc[i][t] = Dpbusd(iacc[i][t], w[i], x);
          }
        }
      } else {
        for (int64_t s0 = k0; s0 < k0 + p.kblock; s0 += p.sub) {
          __m512i isum[kTiles][T];
          for (int i = 0; i < kTiles; ++i) {
            for (int t = 0; t < T; ++t) isum[i][t] = _mm512_setzero_si512();
          }
          for (int64_t k = s0; k < s0 + p.sub; k += 4) {
            __m512i w[kTiles];
            for (int i = 0; i < kTiles; ++i) w[i] = _mm512_load_si512(codes[i] + k * kRows);
            for (int t = 0; t < T; ++t) {
              const __m512i x = Broadcast32(a8 + t * stride + k);
              for (int i = 0; i < kTiles; ++i) isum[i][t] = Dpbusd(isum[i][t], w[i], x);
            }
          }
          for (int i = 0; i < kTiles; ++i) {
            const __m512i sc = _mm512_load_si512(tiles[i].sc + s0 / p.sub * kRows);
            for (int t = 0; t < T; ++t)
              iacc[i][t] = _mm512_add_epi32(iacc[i][t], _mm512_mullo_epi32(isum[i][t], sc));
          }
        }
      }
      for (int i = 0; i < kTiles; ++i) {
        const Tile& tile = tiles[i];
        __m512i macc[T];
        for (int t = 0; t < T; ++t) macc[t] = _mm512_setzero_si512();
        for (int64_t pr = k0 / 32; pr < (k0 + p.kblock) / 32; ++pr) {
          const __m512i m = _mm512_load_si512(tile.m + pr * kRows * 2);
          for (int t = 0; t < T; ++t) {
            macc[t] =
                _mm512_dpwssd_epi32(macc[t], m, Broadcast32(bsum + t * (stride / 16) + 2 * pr));
          }
        }
        const __m512 d = _mm512_load_ps(tile.d + k0 / p.kblock * kRows);
        const __m512 dmin = _mm512_load_ps(tile.dmin + k0 / p.kblock * kRows);
        for (int t = 0; t < T; ++t) {
          const __m512 v = _mm512_fmsub_ps(d, _mm512_cvtepi32_ps(iacc[i][t]),
                                           _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(macc[t])));
          const __m512 as = _mm512_set1_ps(ascale[t * (stride / kQK_K) + k0 / kQK_K]);
          _mm512_store_ps(out[i][t], _mm512_fmadd_ps(v, as, _mm512_load_ps(out[i][t])));
        }
      }
    }
    for (int i = 0; i < kTiles; ++i) StoreRows<T>(out[i], t0, passes[i]);
  }
};
template <int T>
using VnniPass = VnniPassN<1, T>;
template <int T>
using VnniPair = VnniPassN<2, T>;

constexpr bool kVnni = true;
constexpr int kMaxT = 8;
#else
// ---------------------------------------------------------------- pmaddwd (int16)
// ReorderWidenMulAccumulate of int16 is pmaddwd on every x86 target: int32 lane i sums the
// products of int16 lanes 2i and 2i + 1, so lane i is row i of the tile (sum1 stays unused).

using D32 = hn::CappedTag<int32_t, kRows>;
using D16 = hn::Repartition<int16_t, D32>;
using DF = hn::Repartition<float, D32>;
constexpr int kLanes = HWY_MAX_BYTES >= 64 ? 16 : HWY_MAX_BYTES / 4;
constexpr int kVecs = kRows / kLanes;  // vectors per tile row group

// Tile codes as int16 [cols/2][16][2] holding q · sc: pair k2 of row `lane` at k2 · 16 + lane.
void PlaceCodesInt16(const RowParts& row, int64_t cols, int lane, const Tile& t) {
  auto* words = static_cast<uint32_t*>(t.codes);
  for (int64_t k2 = 0; k2 < cols / 2; ++k2) {
    const int16_t pair[2] = {static_cast<int16_t>(row.q[2 * k2] * row.sc[2 * k2 / 16]),
                             static_cast<int16_t>(row.q[2 * k2 + 1] * row.sc[2 * k2 / 16])};
    uint32_t v;
    std::memcpy(&v, pair, 4);
    words[k2 * kRows + lane] = v;
  }
}

HWY_INLINE hn::Vec<D16> Broadcast32(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return hn::BitCast(D16(), hn::Set(D32(), v));
}

template <int T>
struct Int16Pass {
  static void Run(int64_t t0, const Tile& tile, const Pass& p) {
    const D32 d32;
    const D16 d16;
    const DF df;
    const Q8Row row0 = p.a->Row(t0);
    const int64_t stride = p.cols;
    const int16_t* a16 = row0.q;
    const int16_t* bsum = row0.bsum16;
    const float* ascale = row0.scale;
    const auto* codes = static_cast<const int16_t*>(tile.codes);
    alignas(64) float out[T][kRows] = {};
    for (int64_t k0 = 0; k0 < p.cols; k0 += p.kblock) {
      hn::Vec<D32> iacc[T][kVecs], macc[T][kVecs];
      for (int t = 0; t < T; ++t) {
        for (int v = 0; v < kVecs; ++v) iacc[t][v] = macc[t][v] = hn::Zero(d32);
      }
      for (int64_t k = k0; k < k0 + p.kblock; k += 2) {
        hn::Vec<D16> w[kVecs];
        for (int v = 0; v < kVecs; ++v) w[v] = hn::Load(d16, codes + k * kRows + 2 * kLanes * v);
        for (int t = 0; t < T; ++t) {
          const auto a = Broadcast32(a16 + t * stride + k);
          for (int v = 0; v < kVecs; ++v) {
            auto unused = hn::Zero(d32);
            iacc[t][v] = hn::ReorderWidenMulAccumulate(d32, w[v], a, iacc[t][v], unused);
          }
        }
      }
      for (int64_t pr = k0 / 32; pr < (k0 + p.kblock) / 32; ++pr) {
        hn::Vec<D16> m[kVecs];
        for (int v = 0; v < kVecs; ++v)
          m[v] = hn::Load(d16, tile.m + pr * kRows * 2 + 2 * kLanes * v);
        for (int t = 0; t < T; ++t) {
          const auto b = Broadcast32(bsum + t * (stride / 16) + 2 * pr);
          for (int v = 0; v < kVecs; ++v) {
            auto unused = hn::Zero(d32);
            macc[t][v] = hn::ReorderWidenMulAccumulate(d32, m[v], b, macc[t][v], unused);
          }
        }
      }
      for (int v = 0; v < kVecs; ++v) {
        const auto d = hn::Load(df, tile.d + k0 / p.kblock * kRows + kLanes * v);
        const auto dmin = hn::Load(df, tile.dmin + k0 / p.kblock * kRows + kLanes * v);
        for (int t = 0; t < T; ++t) {
          const auto val = hn::MulSub(d, hn::ConvertTo(df, iacc[t][v]),
                                      hn::Mul(dmin, hn::ConvertTo(df, macc[t][v])));
          const auto as = hn::Set(df, ascale[t * (stride / kQK_K) + k0 / kQK_K]);
          hn::Store(hn::MulAdd(val, as, hn::Load(df, out[t] + kLanes * v)), df,
                    out[t] + kLanes * v);
        }
      }
    }
    StoreRows<T>(out, t0, p);
  }
};

constexpr bool kVnni = false;
constexpr int kMaxT = kVecs == 1 ? 8 : 4;
#endif

// Step 1 and 2 for rows [tr, tr + kRows) into `tile`; returns how many are inside the matrix.
int FillTile(const GemmQ8Source& w, const FormatInfo& f, int kblock, int64_t tr, const Tile& tile) {
  const int64_t cols = w.cols;
  const int valid = static_cast<int>(std::clamp<int64_t>(w.rows - tr, 0, kRows));
  for (int lane = 0; lane < kRows; ++lane) {
    if (lane < valid) {
      UnpackRow(w, f, tr + lane, tile);
    } else {  // past the matrix: zero codes, scales and offsets
      std::memset(tile.row.q, 0, static_cast<size_t>(cols));
      std::fill(tile.row.sc, tile.row.sc + cols / 16, int16_t{0});
      std::fill(tile.row.m, tile.row.m + cols / 16, int16_t{0});
      std::fill(tile.row.d, tile.row.d + cols / kblock, 0.0f);
      std::fill(tile.row.dmin, tile.row.dmin + cols / kblock, 0.0f);
    }
    PlaceRowParts(tile.row, cols, kblock, lane, tile);
#if HWY_TARGET <= HWY_AVX3_DL
    PlaceCodesVnni(tile.row, cols, f.sub, lane, tile);
#else
    PlaceCodesInt16(tile.row, cols, lane, tile);
#endif
  }
  return valid;
}

void GemmQ8TilesImplT(const GemmQ8Source& w, const Q8Activations& a, int64_t n, int64_t r0,
                      int64_t r1, float* y, int64_t ldy, std::vector<std::byte>& scratch) {
  const int64_t cols = w.cols;
  const FormatInfo f = w.group ? FormatInfo{nullptr, 0} : FormatOf(w.type);
  const int kblock = w.group ? GroupKBlock(w.view) : kQK_K;
#if HWY_TARGET <= HWY_AVX3_DL
  // Two tiles per pass (32 rows), from two scratch buffers.
  const Tile tiles[2] = {CarveTile(cols, scratch, 0, 2), CarveTile(cols, scratch, 1, 2)};
  for (int64_t tr = r0; tr < r1; tr += 2 * kRows) {
    Pass passes[2];
    int count = 0;
    for (int i = 0; i < 2 && tr + i * kRows < r1; ++i, ++count) {
      const int valid = FillTile(w, f, kblock, tr + i * kRows, tiles[i]);
      passes[i] = Pass{&a, cols, kblock, f.sub, y + tr + i * kRows, ldy, valid};
    }
    if (count == 2 && f.sub == 0) {
      ForActivationRows<8, VnniPair>(n, tiles, passes);
    } else if (count == 2) {
      ForActivationRows<4, VnniPair>(n, tiles, passes);
    } else {
      ForActivationRows<kMaxT, VnniPass>(n, tiles, passes);
    }
  }
#else
  const Tile tile = CarveTile(cols, scratch, 0, 1);
  for (int64_t tr = r0; tr < r1; tr += kRows) {
    const int valid = FillTile(w, f, kblock, tr, tile);
    const Pass pass{&a, cols, kblock, f.sub, y + tr, ldy, valid};
    ForActivationRows<kMaxT, Int16Pass>(n, tile, pass);
  }
#endif
}

GemmQ8TilesFn GemmQ8TilesImpl() { return &GemmQ8TilesImplT; }
const char* GemmQ8KindImpl() { return kVnni ? "vpdpbusd" : "pmaddwd"; }

#else  // no kernel: MatMul decodes to floats

GemmQ8TilesFn GemmQ8TilesImpl() { return nullptr; }
const char* GemmQ8KindImpl() { return "none"; }

#endif

const char* GemmQ8TargetImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace lieq
#include "kernels/avx3_dl_extra_end-inl.h"
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace lieq {

HWY_EXPORT(GemmQ8TilesImpl);
HWY_EXPORT(GemmQ8KindImpl);
HWY_EXPORT(GemmQ8TargetImpl);

GemmQ8TilesFn GemmQ8TilesSimd() { return HWY_DYNAMIC_DISPATCH(GemmQ8TilesImpl)(); }
const char* GemmQ8KindSimd() { return HWY_DYNAMIC_DISPATCH(GemmQ8KindImpl)(); }
const char* GemmQ8Target() { return HWY_DYNAMIC_DISPATCH(GemmQ8TargetImpl)(); }

}  // namespace lieq
#endif  // HWY_ONCE
