// Scalar reference decoding of every element type to float, exactly as the GGUF
// specification defines each block format (kernels/block_formats.h). The fast matmul paths
// are checked against this.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace lieq {

// Decodes n elements starting at src (n a multiple of the type's block size: checked by the
// caller, e.g. the GGUF reader). Accepts F32, F16 and BF16 too, so callers need no special case.
void DequantizeRow(DType type, const std::byte* src, float* dst, int64_t n);

}  // namespace lieq
