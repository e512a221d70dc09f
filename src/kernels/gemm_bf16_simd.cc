// Tile kernel of the BF16 prefill GEMM (kernels/gemm_bf16.h), compiled once per target by
// Highway's foreach_target.h. Only the AVX3_DL target has one, compiled with the extra
// "avx512bf16" attribute (Highway 1.0.3 knows no target with it) and returned only when CPUID
// reports avx512_bf16; every other target returns nullptr and MatMul widens to F32 for sgemm.
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm_bf16_simd.cc"
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/cpu_features.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/gemm_bf16.h"

HWY_BEFORE_NAMESPACE();
// Safe to compile for: nothing of this target runs unless CPUID has avx512_bf16 (below).
#define LIEQ_AVX3_DL_EXTRA ",avx512bf16"
#include "kernels/avx3_dl_extra_begin-inl.h"
#undef LIEQ_AVX3_DL_EXTRA
namespace lieq {
namespace HWY_NAMESPACE {
namespace {

#if HWY_TARGET == HWY_AVX3_DL

constexpr int kRows = static_cast<int>(kGemmBf16TileRows);
constexpr int kMaxT = 12;  // activation rows per pass: 12 independent vdpbf16ps chains

// y rows [t0, t0 + T) of kTiles consecutive tiles (each [pairs][16] pair words) from their
// interleaved pairs: per column pair, one load per tile and one broadcast of x per row, shared by
// the tiles; valid[i] rows of tile i are stored.
template <int kTiles, int T>
void Pass(const uint32_t* tile, const uint32_t* xw, int64_t t0, int64_t pairs, float* y,
          int64_t ldy, const int* valid) {
  __m512 acc[kTiles][T];
  for (int i = 0; i < kTiles; ++i) {
    for (int t = 0; t < T; ++t) acc[i][t] = _mm512_setzero_ps();
  }
  const uint32_t* x0 = xw + t0 * pairs;
  for (int64_t k2 = 0; k2 < pairs; ++k2) {
    __m512bh w[kTiles];
    for (int i = 0; i < kTiles; ++i)
      w[i] = (__m512bh)_mm512_load_si512(tile + (i * pairs + k2) * kRows);
    for (int t = 0; t < T; ++t) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(static_cast<int>(x0[t * pairs + k2]));
      for (int i = 0; i < kTiles; ++i) acc[i][t] = _mm512_dpbf16_ps(acc[i][t], w[i], a);
    }
  }
  for (int i = 0; i < kTiles; ++i) {
    const __mmask16 mask = static_cast<__mmask16>((1u << valid[i]) - 1);
    for (int t = 0; t < T; ++t)
      _mm512_mask_storeu_ps(y + (t0 + t) * ldy + i * kRows, mask, acc[i][t]);
  }
}

template <int kTiles, int kPassRows>
void AllRows(const uint32_t* tile, const uint32_t* xw, int64_t n, int64_t pairs, float* y,
             int64_t ldy, const int* valid) {
  int64_t t = 0;
  for (; t + kPassRows <= n; t += kPassRows)
    Pass<kTiles, kPassRows>(tile, xw, t, pairs, y, ldy, valid);
  if (n - t >= 8) Pass<kTiles, 8>(tile, xw, t, pairs, y, ldy, valid), t += 8;
  if (n - t >= 4) Pass<kTiles, 4>(tile, xw, t, pairs, y, ldy, valid), t += 4;
  if (n - t >= 2) Pass<kTiles, 2>(tile, xw, t, pairs, y, ldy, valid), t += 2;
  if (n - t >= 1) Pass<kTiles, 1>(tile, xw, t, pairs, y, ldy, valid), t += 1;
}

// Interleaves rows [r, r + 16) of w (zeros past its end) into `tile`; returns the valid count.
int FillTile(const TensorView& w, int64_t r, int64_t pairs, uint32_t* tile) {
  const int valid = static_cast<int>(std::clamp<int64_t>(w.rows() - r, 0, kRows));
  for (int lane = 0; lane < kRows; ++lane) {
    if (lane < valid) {
      const std::byte* row = w.Row(r + lane);
      for (int64_t k2 = 0; k2 < pairs; ++k2) std::memcpy(&tile[k2 * kRows + lane], row + 4 * k2, 4);
    } else {
      for (int64_t k2 = 0; k2 < pairs; ++k2) tile[k2 * kRows + lane] = 0;
    }
  }
  return valid;
}

// Two tiles (32 rows) per pass, 12 rows of x: 24 accumulators.
void TilesImpl(const uint16_t* xb, int64_t n, const TensorView& w, int64_t r0, int64_t r1, float* y,
               int64_t ldy, void* scratch) {
  const int64_t cols = w.cols(), pairs = cols / 2;
  auto* tile = static_cast<uint32_t*>(scratch);
  const auto* xw = reinterpret_cast<const uint32_t*>(xb);
  for (int64_t tr = r0; tr < r1; tr += 2 * kRows) {
    int valid[2] = {FillTile(w, tr, pairs, tile), 0};
    if (tr + kRows < r1) {
      valid[1] = FillTile(w, tr + kRows, pairs, tile + pairs * kRows);
      AllRows<2, kMaxT>(tile, xw, n, pairs, y + tr, ldy, valid);
    } else {
      AllRows<1, kMaxT>(tile, xw, n, pairs, y + tr, ldy, valid);
    }
  }
}

GemmBf16TilesFn GemmBf16TilesImpl() {
  static const bool has_bf16 = DetectCpuFeatures().Has("avx512_bf16");
  return has_bf16 ? &TilesImpl : nullptr;
}

#else

GemmBf16TilesFn GemmBf16TilesImpl() { return nullptr; }

#endif

const char* GemmBf16TargetImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace lieq
#include "kernels/avx3_dl_extra_end-inl.h"
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace lieq {

HWY_EXPORT(GemmBf16TilesImpl);
HWY_EXPORT(GemmBf16TargetImpl);

GemmBf16TilesFn GemmBf16TilesSimd() { return HWY_DYNAMIC_DISPATCH(GemmBf16TilesImpl)(); }
const char* GemmBf16Target() { return HWY_DYNAMIC_DISPATCH(GemmBf16TargetImpl)(); }

}  // namespace lieq
#endif  // HWY_ONCE
