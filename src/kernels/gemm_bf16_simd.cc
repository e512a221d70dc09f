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
#if HWY_TARGET == HWY_AVX3_DL
// Safe to compile for: nothing of this target runs unless CPUID has avx512_bf16 (below).
HWY_POP_ATTRIBUTES
HWY_PUSH_ATTRIBUTES(HWY_TARGET_STR ",avx512bf16")
#endif
namespace lieq {
namespace HWY_NAMESPACE {
namespace {

#if HWY_TARGET == HWY_AVX3_DL

constexpr int kRows = static_cast<int>(kGemmBf16TileRows);
constexpr int kMaxT = 12;  // activation rows per pass: 12 independent vdpbf16ps chains

// y rows [t0, t0 + T) of the tile from its interleaved pairs; `valid` rows are stored.
template <int T>
void Pass(const uint32_t* tile, const uint32_t* xw, int64_t t0, int64_t pairs, float* y,
          int64_t ldy, int valid) {
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const uint32_t* x0 = xw + t0 * pairs;
  for (int64_t k2 = 0; k2 < pairs; ++k2) {
    const __m512bh w = (__m512bh)_mm512_load_si512(tile + k2 * kRows);
    for (int t = 0; t < T; ++t) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(static_cast<int>(x0[t * pairs + k2]));
      acc[t] = _mm512_dpbf16_ps(acc[t], w, a);
    }
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1);
  for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + (t0 + t) * ldy, mask, acc[t]);
}

void TilesImpl(const uint16_t* xb, int64_t n, const TensorView& w, int64_t r0, int64_t r1, float* y,
               int64_t ldy, void* scratch) {
  const int64_t cols = w.cols(), pairs = cols / 2;
  auto* tile = static_cast<uint32_t*>(scratch);
  const auto* xw = reinterpret_cast<const uint32_t*>(xb);
  for (int64_t tr = r0; tr < r1; tr += kRows) {
    const int valid = static_cast<int>(std::min<int64_t>(kRows, w.rows() - tr));
    for (int lane = 0; lane < kRows; ++lane) {
      if (lane < valid) {
        const std::byte* row = w.Row(tr + lane);
        for (int64_t k2 = 0; k2 < pairs; ++k2)
          std::memcpy(&tile[k2 * kRows + lane], row + 4 * k2, 4);
      } else {
        for (int64_t k2 = 0; k2 < pairs; ++k2) tile[k2 * kRows + lane] = 0;
      }
    }
    float* yt = y + tr;
    int64_t t = 0;
    for (; t + kMaxT <= n; t += kMaxT) Pass<kMaxT>(tile, xw, t, pairs, yt, ldy, valid);
    if (n - t >= 8) Pass<8>(tile, xw, t, pairs, yt, ldy, valid), t += 8;
    if (n - t >= 4) Pass<4>(tile, xw, t, pairs, yt, ldy, valid), t += 4;
    if (n - t >= 2) Pass<2>(tile, xw, t, pairs, yt, ldy, valid), t += 2;
    if (n - t >= 1) Pass<1>(tile, xw, t, pairs, yt, ldy, valid), t += 1;
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
#if HWY_TARGET == HWY_AVX3_DL
HWY_POP_ATTRIBUTES
HWY_PUSH_ATTRIBUTES(HWY_TARGET_STR)  // what HWY_AFTER_NAMESPACE pops
#endif
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace lieq {

HWY_EXPORT(GemmBf16TilesImpl);
HWY_EXPORT(GemmBf16TargetImpl);

GemmBf16TilesFn GemmBf16TilesSimd() { return HWY_DYNAMIC_DISPATCH(GemmBf16TilesImpl)(); }
const char* GemmBf16Target() { return HWY_DYNAMIC_DISPATCH(GemmBf16TargetImpl)(); }

}  // namespace lieq
#endif  // HWY_ONCE
