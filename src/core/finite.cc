#include "core/finite.h"

#include <cmath>
#include <cstring>

namespace lieq {
namespace {

uint16_t Load16(const std::byte* data, int64_t i) {
  uint16_t v;
  std::memcpy(&v, data + 2 * i, 2);
  return v;
}

}  // namespace

int64_t FirstNonFinite(DType dtype, const std::byte* data, int64_t count) {
  if (data == nullptr) return -1;
  switch (dtype) {
    case DType::kF32: {
      for (int64_t i = 0; i < count; ++i) {
        uint32_t bits;
        std::memcpy(&bits, data + 4 * i, 4);
        if ((bits & 0x7f800000u) == 0x7f800000u) return i;
      }
      return -1;
    }
    case DType::kBF16:
      for (int64_t i = 0; i < count; ++i) {
        if ((Load16(data, i) & 0x7f80u) == 0x7f80u) return i;
      }
      return -1;
    case DType::kF16:
      for (int64_t i = 0; i < count; ++i) {
        if ((Load16(data, i) & 0x7c00u) == 0x7c00u) return i;
      }
      return -1;
    default:
      return -1;
  }
}

const char* NonFiniteName(DType dtype, const std::byte* data, int64_t index) {
  bool nan = false, negative = false;
  if (dtype == DType::kF32) {
    float v;
    std::memcpy(&v, data + 4 * index, 4);
    nan = std::isnan(v);
    negative = std::signbit(v);
  } else {
    const uint16_t v = Load16(data, index);
    nan = dtype == DType::kBF16 ? (v & 0x7fu) != 0 : (v & 0x3ffu) != 0;
    negative = (v & 0x8000u) != 0;
  }
  return nan ? "NaN" : negative ? "-Inf" : "+Inf";
}

}  // namespace lieq
