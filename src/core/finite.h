// NaN and infinity detection for float data of every storage type (F32, F16, BF16): weights
// at load or quantization time and logits during evaluation (docs/RELIABILITY.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/dtype.h"

namespace lieq {

// Index of the first NaN or ±Inf among `count` values of `dtype` at `data`, or -1 when all are
// finite (and for types this check does not read: the GGUF block types).
int64_t FirstNonFinite(DType dtype, const std::byte* data, int64_t count);

inline int64_t FirstNonFinite(std::span<const float> values) {
  return FirstNonFinite(DType::kF32, reinterpret_cast<const std::byte*>(values.data()),
                        static_cast<int64_t>(values.size()));
}

// "NaN", "+Inf" or "-Inf" for the value at `index` (which FirstNonFinite found).
const char* NonFiniteName(DType dtype, const std::byte* data, int64_t index);

}  // namespace lieq
