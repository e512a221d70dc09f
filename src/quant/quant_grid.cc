#include "quant/quant_grid.h"

#include <algorithm>
#include <cmath>

#include "core/half.h"
#include "kernels/group_quant.h"

namespace lieq {

GroupParams IntGrid::FitRange(float lo, float hi) const {
  // The range always contains 0, so that zero weights stay exact (GPTQ's quantizer does this).
  lo = std::min(lo * clip_, 0.0f);
  hi = std::max(hi * clip_, 0.0f);
  const int max_code = MaxCode(bits_);
  float scale = (hi - lo) / static_cast<float>(max_code);
  if (!(scale > 0)) scale = 1.0f;  // an all-zero group: any scale reproduces it
  scale = F16ToF32(F32ToF16(scale));
  if (!(scale > 0)) scale = F16ToF32(0x0001);  // below FP16's smallest subnormal
  const float zero = std::clamp(std::nearbyint(-lo / scale), 0.0f, static_cast<float>(max_code));
  return {scale, zero};
}

GroupParams IntGrid::Fit(std::span<const float> w) const {
  const auto [lo, hi] = std::minmax_element(w.begin(), w.end());
  return FitRange(*lo, *hi);
}

int IntGrid::Code(float w, const GroupParams& p) const {
  const float q = std::nearbyint(w / p.scale + p.zero);
  return static_cast<int>(std::clamp(q, 0.0f, static_cast<float>(MaxCode(bits_))));
}

}  // namespace lieq
