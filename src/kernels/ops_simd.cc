// SIMD versions of the element-wise ops with an exponential (softmax in attention, SiLU in the
// MLP): libm's scalar expf was 15 % of a calibration pass at 2048 tokens. Highway's Exp (within
// a few ulp of expf) on every target, dispatched at run time; ops.cc keeps the scalar references
// they are tested against (tests/kernels/ops_simd_test.cc).

// Same target set as matmul_gemv.cc (SVE and RVV are left out there).
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/ops_simd.cc"
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// clang-format off (after foreach_target.h: per-target include guards)
#include "hwy/contrib/math/math-inl.h"
// clang-format on
#include "kernels/ops.h"

HWY_BEFORE_NAMESPACE();
namespace lieq {
namespace HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);

}  // namespace

void SoftmaxSimd(float* HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t full = n - n % lanes;
  auto vmax = hn::Set(d, -std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < full; i += lanes) vmax = hn::Max(vmax, hn::LoadU(d, x + i));
  float max = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (int64_t i = full; i < n; ++i) max = std::max(max, x[i]);
  const auto vm = hn::Set(d, max);
  auto vsum = hn::Zero(d);
  for (int64_t i = 0; i < full; i += lanes) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vm));
    hn::StoreU(e, d, x + i);
    vsum = hn::Add(vsum, e);
  }
  if (full < n) {  // the tail through a buffer padded with -inf (exp = 0)
    HWY_ALIGN float tail[kMaxLanes];
    for (size_t k = 0; k < kMaxLanes; ++k) tail[k] = -std::numeric_limits<float>::infinity();
    std::memcpy(tail, x + full, static_cast<size_t>(n - full) * sizeof(float));
    const auto e = hn::Exp(d, hn::Sub(hn::Load(d, tail), vm));
    hn::Store(e, d, tail);
    vsum = hn::Add(vsum, e);
    std::memcpy(x + full, tail, static_cast<size_t>(n - full) * sizeof(float));
  }
  const auto inv = hn::Set(d, 1.0f / hn::GetLane(hn::SumOfLanes(d, vsum)));
  for (int64_t i = 0; i < full; i += lanes) hn::StoreU(hn::Mul(hn::LoadU(d, x + i), inv), d, x + i);
  const float inv_s = hn::GetLane(inv);
  for (int64_t i = full; i < n; ++i) x[i] *= inv_s;
}

void SiluMulSimd(const float* gate, const float* up, int64_t n, float* out) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto one = hn::Set(d, 1.0f);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto g = hn::LoadU(d, gate + i);
    const auto silu = hn::Div(g, hn::Add(one, hn::Exp(d, hn::Neg(g))));
    hn::StoreU(hn::Mul(silu, hn::LoadU(d, up + i)), d, out + i);
  }
  for (; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace HWY_NAMESPACE
}  // namespace lieq
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace lieq {

HWY_EXPORT(SoftmaxSimd);
HWY_EXPORT(SiluMulSimd);

void SoftmaxInPlace(float* x, int64_t n) {
  if (n > 0) HWY_DYNAMIC_DISPATCH(SoftmaxSimd)(x, n);
}
void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(SiluMulSimd)(gate, up, n, out);
}

}  // namespace lieq
#endif  // HWY_ONCE
