// Per-SIMD-target helpers shared by the matmul kernels: load weights of any float dtype
// widened to a float vector. Included once per Highway target (foreach_target.h), hence the
// toggled include guard instead of #pragma once.
#if defined(LIEQ_KERNELS_MATMUL_LOAD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef LIEQ_KERNELS_MATMUL_LOAD_INL_H_
#undef LIEQ_KERNELS_MATMUL_LOAD_INL_H_
#else
#define LIEQ_KERNELS_MATMUL_LOAD_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace lieq {
namespace HWY_NAMESPACE {

// Weight formats as policy types: Elem is the stored element, Load widens Lanes(df) of them.
struct F32Weights {
  using Elem = float;
  template <class DF>
  static HWY_INLINE hwy::HWY_NAMESPACE::Vec<DF> Load(DF df, const Elem* HWY_RESTRICT p) {
    return hwy::HWY_NAMESPACE::LoadU(df, p);
  }
};

// BF16 is the top half of a float: widen the 16-bit lanes and shift them up.
struct Bf16Weights {
  using Elem = uint16_t;
  template <class DF>
  static HWY_INLINE hwy::HWY_NAMESPACE::Vec<DF> Load(DF df, const Elem* HWY_RESTRICT p) {
    namespace hn = hwy::HWY_NAMESPACE;
    const hn::Rebind<uint16_t, DF> du16;
    const hn::RebindToUnsigned<DF> du32;
    return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du32, hn::LoadU(du16, p))));
  }
};

// IEEE half: Highway's PromoteTo uses the hardware conversion (F16C, NEON fcvtl) where present.
struct F16Weights {
  using Elem = uint16_t;
  template <class DF>
  static HWY_INLINE hwy::HWY_NAMESPACE::Vec<DF> Load(DF df, const Elem* HWY_RESTRICT p) {
    namespace hn = hwy::HWY_NAMESPACE;
    const hn::Rebind<hwy::float16_t, DF> df16;
    return hn::PromoteTo(df, hn::LoadU(df16, reinterpret_cast<const hwy::float16_t*>(p)));
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace lieq
HWY_AFTER_NAMESPACE();

#endif  // include guard
