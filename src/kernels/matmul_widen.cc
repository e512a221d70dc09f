// Widening F32/F16/BF16 weight rows to F32 with SIMD: the conversion in front of sgemm for
// 16-bit weights in the prefill path. Compiled once per SIMD target by Highway's
// foreach_target.h and dispatched at run time.

// Same target set as matmul_gemv.cc (SVE and RVV are left out there).
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_widen.cc"
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/dequantize.h"
#include "kernels/matmul.h"
#include "kernels/matmul_load-inl.h"
#include "kernels/simd_targets.h"

HWY_BEFORE_NAMESPACE();
namespace lieq {
namespace HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;

// Most float lanes of any target: sizes the tail buffers.
constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);

// out[i] = widen(in[i]) for i < count.
template <class Weights>
void WidenTyped(const std::byte* in_bytes, int64_t count, float* HWY_RESTRICT out) {
  using Elem = typename Weights::Elem;
  const auto* in = reinterpret_cast<const Elem*>(in_bytes);
  const hn::ScalableTag<float> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  int64_t i = 0;
  for (; i + lanes <= count; i += lanes) hn::StoreU(Weights::Load(df, in + i), df, out + i);
  if (i < count) {
    // The last partial vector goes through buffers, so the vector conversion is the only one.
    const size_t rem = static_cast<size_t>(count - i);
    HWY_ALIGN Elem in_tail[kMaxLanes] = {};
    HWY_ALIGN float out_tail[kMaxLanes];
    std::memcpy(in_tail, in + i, rem * sizeof(Elem));
    hn::Store(Weights::Load(df, in_tail), df, out_tail);
    std::memcpy(out + i, out_tail, rem * sizeof(float));
  }
}

}  // namespace

// Widens `count` consecutive elements of type dtype (F16 or BF16, as uint32) to floats.
void Widen16(uint32_t dtype, const std::byte* in, int64_t count, float* out) {
  switch (static_cast<DType>(dtype)) {
    case DType::kBF16:
      WidenTyped<Bf16Weights>(in, count, out);
      break;
    case DType::kF16:
      WidenTyped<F16Weights>(in, count, out);
      break;
    default:
      assert(false && "Widen16: only F16 and BF16");
  }
}

const char* WidenTargetImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace lieq
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace lieq {

HWY_EXPORT(Widen16);

void RowsToF32(const TensorView& w, int64_t r0, int64_t rows, float* out) {
  assert(r0 >= 0 && rows >= 0 && r0 + rows <= w.rows());
  // Rows are contiguous, so the block is one run of rows · cols elements.
  const int64_t count = rows * w.cols();
  if (w.dtype == DType::kF32) {
    std::memcpy(out, w.Row(r0), static_cast<size_t>(count) * sizeof(float));
    return;
  }
  if (IsQuantized(w.dtype)) {  // GGUF block types (kept packed at load): the reference decoder
    DequantizeRow(w.dtype, w.Row(r0), out, count);
    return;
  }
  HWY_DYNAMIC_DISPATCH(Widen16)(static_cast<uint32_t>(w.dtype), w.Row(r0), count, out);
}

std::vector<float> ToF32(const TensorView& w) {
  std::vector<float> out(static_cast<size_t>(w.NumElements()));
  RowsToF32(w, 0, w.rows(), out.data());
  return out;
}

HWY_EXPORT(WidenTargetImpl);
const char* WidenSimdTarget() { return HWY_DYNAMIC_DISPATCH(WidenTargetImpl)(); }

}  // namespace lieq
#endif  // HWY_ONCE
