#include "core/tensor.h"

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
