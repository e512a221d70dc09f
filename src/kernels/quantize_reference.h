// Reference encoders for every element type: plain round-to-nearest with min/max or absmax
// scales per (sub)block. They produce valid blocks that DequantizeRow decodes back within the
// type's rounding error, so tests and writers can round-trip; the error-minimising search of
// the LieQ quantizer is separate.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace lieq {

// Encodes n floats (n a multiple of the type's block size, checked by the caller) into
// RowBytes(type, n) bytes at dst. F32, F16 and BF16 are converted with round-to-nearest-even.
// Non-finite inputs are the caller's problem (scales would become NaN).
void QuantizeRowReference(DType type, const float* src, std::byte* dst, int64_t n);

}  // namespace lieq
