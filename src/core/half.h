// IEEE half and bfloat16 <-> float conversions (scalar reference; kernels vectorise their own).
#pragma once

#include <cstdint>
#include <cstring>

namespace lieq {

inline float Bf16ToF32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Round-to-nearest-even, NaN kept quiet (same rule as PyTorch and ggml).
inline uint16_t F32ToBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float RoundToBf16(float f) { return Bf16ToF32(F32ToBf16(f)); }

// The compiler's IEEE half type; conversions round to nearest even. GCC 12 has _Float16 in C++
// on x86-64 but not on aarch64, whose __fp16 is IEEE binary16 by default.
#if defined(__aarch64__) && !defined(__clang__)
using NativeHalf = __fp16;
#else
using NativeHalf = _Float16;
#endif

inline float F16ToF32(uint16_t h) {
  NativeHalf v;
  std::memcpy(&v, &h, 2);
  return static_cast<float>(v);
}

inline uint16_t F32ToF16(float f) {
  NativeHalf v = static_cast<NativeHalf>(f);
  uint16_t h;
  std::memcpy(&h, &v, 2);
  return h;
}

}  // namespace lieq
