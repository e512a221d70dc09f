#include "core/dtype.h"

#include <array>
#include <cassert>

namespace lieq {
namespace {

// Sizes follow the GGUF specification's block layouts (see kernels/block_formats.h, which
// static_asserts each struct against this table).
constexpr std::array<DTypeInfo, 11> kTypes = {{
    {DType::kF32, "f32", 1, 4},
    {DType::kF16, "f16", 1, 2},
    {DType::kBF16, "bf16", 1, 2},
    {DType::kQ4_0, "q4_0", 32, 18},
    {DType::kQ4_1, "q4_1", 32, 20},
    {DType::kQ8_0, "q8_0", 32, 34},
    {DType::kQ2_K, "q2_K", 256, 84},
    {DType::kQ3_K, "q3_K", 256, 110},
    {DType::kQ4_K, "q4_K", 256, 144},
    {DType::kQ5_K, "q5_K", 256, 176},
    {DType::kQ6_K, "q6_K", 256, 210},
}};

}  // namespace

const DTypeInfo* FindDType(uint32_t ggml_id) {
  for (const DTypeInfo& info : kTypes) {
    if (static_cast<uint32_t>(info.type) == ggml_id) return &info;
  }
  return nullptr;
}

const DTypeInfo* FindDType(std::string_view name) {
  for (const DTypeInfo& info : kTypes) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const DTypeInfo& Info(DType type) {
  const DTypeInfo* info = FindDType(static_cast<uint32_t>(type));
  assert(info != nullptr && "DType missing from kTypes");
  return *info;
}

}  // namespace lieq
