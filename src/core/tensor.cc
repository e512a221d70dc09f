#include "core/tensor.h"

#include <cstdint>
#include <cstring>

namespace lieq {

std::optional<int64_t> CheckedNumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > INT64_MAX / d) return std::nullopt;
    n *= d;
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Result<AlignedBuffer> AlignedBuffer::Allocate(size_t bytes, std::string_view what) {
  // Sizes near SIZE_MAX would wrap in RoundUp; no machine has that much memory anyway.
  void* p = bytes > (SIZE_MAX >> 1) ? nullptr : std::aligned_alloc(64, RoundUp(bytes));
  if (p == nullptr) {
    return IoError("out of memory: cannot allocate " + std::to_string(bytes) + " bytes (" +
                   std::to_string(bytes >> 20) + " MiB) for " + std::string(what));
  }
  return AlignedBuffer(static_cast<std::byte*>(p), bytes);
}

Result<OwnedTensor> OwnedTensor::TryZeros(DType dtype, Shape shape, std::string_view what) {
  OwnedTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const std::optional<int64_t> n = CheckedNumElements(t.shape);
  if (!n)
    return InvalidArgument(std::string(what) + ": shape " + ShapeToString(t.shape) + " overflows");
  const size_t bytes = static_cast<size_t>(t.view().SizeBytes());
  LIEQ_ASSIGN_OR_RETURN(t.buffer, AlignedBuffer::Allocate(bytes, what));
  std::memset(t.buffer.data(), 0, bytes);
  return t;
}

OwnedTensor OwnedTensor::Zeros(DType dtype, Shape shape) {
  OwnedTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const size_t bytes = static_cast<size_t>(t.view().SizeBytes());
  t.buffer = AlignedBuffer(bytes);
  std::memset(t.buffer.data(), 0, bytes);
  return t;
}

}  // namespace lieq
