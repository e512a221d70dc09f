// The one table of element types. Quantized types are stored in blocks of `block_size`
// elements taking `block_bytes` bytes; ids equal ggml's so GGUF files map 1:1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lieq {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 8,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kBF16 = 30,
};

struct DTypeInfo {
  DType type;
  std::string_view name;  // as ggml and llama.cpp print it, e.g. "q4_K"
  int64_t block_size;     // elements per block (1 for plain floats)
  int64_t block_bytes;    // bytes per block
};

// Null for ids this build does not know.
const DTypeInfo* FindDType(uint32_t ggml_id);
const DTypeInfo* FindDType(std::string_view name);
const DTypeInfo& Info(DType type);

inline std::string_view Name(DType type) { return Info(type).name; }
inline bool IsQuantized(DType type) { return Info(type).block_size > 1; }

// Bytes for `n` elements; n must be a multiple of the block size (checked by callers).
inline int64_t RowBytes(DType type, int64_t n) {
  const DTypeInfo& info = Info(type);
  return n / info.block_size * info.block_bytes;
}

}  // namespace lieq
