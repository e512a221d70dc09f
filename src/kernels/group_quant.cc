#include "kernels/group_quant.h"

#include "core/half.h"

namespace lieq {

void PackCodes(const uint8_t* codes, int64_t n, int bits, uint8_t* packed) {
  const int64_t bytes = PackedRowBytes(bits, n);
  for (int64_t i = 0; i < bytes; ++i) packed[i] = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = i * bits;
    const uint32_t v = static_cast<uint32_t>(codes[i]) << (bit % 8);
    packed[bit / 8] |= static_cast<uint8_t>(v);
    if ((bit % 8) + bits > 8) packed[bit / 8 + 1] |= static_cast<uint8_t>(v >> 8);
  }
}

void UnpackCodes(const uint8_t* packed, int64_t n, int bits, uint8_t* codes) {
  const uint32_t mask = (1u << bits) - 1;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = i * bits;
    uint32_t v = packed[bit / 8] >> (bit % 8);
    if ((bit % 8) + bits > 8) v |= static_cast<uint32_t>(packed[bit / 8 + 1]) << (8 - bit % 8);
    codes[i] = static_cast<uint8_t>(v & mask);
  }
}

void DequantizeGroupRow(const GroupQuantView& w, int64_t r, float* out) {
  const uint8_t* row = w.codes + r * PackedRowBytes(w.bits, w.cols);
  const int64_t groups = w.groups_per_row();
  const uint32_t mask = (1u << w.bits) - 1;
  for (int64_t g = 0; g < groups; ++g) {
    const float scale = F16ToF32(w.scales[r * groups + g]);
    const float zero = F16ToF32(w.zeros[r * groups + g]);
    for (int64_t c = g * w.group_size; c < (g + 1) * w.group_size; ++c) {
      const int64_t bit = c * w.bits;
      uint32_t v = row[bit / 8] >> (bit % 8);
      if ((bit % 8) + w.bits > 8) v |= static_cast<uint32_t>(row[bit / 8 + 1]) << (8 - bit % 8);
      out[c] = scale * (static_cast<float>(v & mask) - zero);
    }
  }
}

}  // namespace lieq
