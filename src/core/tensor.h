// TensorView (non-owning, any dtype) and AlignedBuffer (owning storage).
// Shapes are row-major, outermost first, as in PyTorch and safetensors: a linear weight
// is [out_features, in_features]. The GGUF reader reverses ggml's innermost-first `ne`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace lieq {

using Shape = std::vector<int64_t>;

// Product of dims, or nullopt on a negative dim or int64 overflow (shapes come from files).
std::optional<int64_t> CheckedNumElements(const Shape& shape);
std::string ShapeToString(const Shape& shape);

struct TensorView {
  DType dtype = DType::kF32;
  Shape shape;
  const std::byte* data = nullptr;

  int64_t NumElements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t rows() const { return shape.empty() ? 1 : NumElements() / shape.back(); }
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }
  int64_t SizeBytes() const { return RowBytes(dtype, cols()) * rows(); }
  const std::byte* Row(int64_t r) const { return data + r * RowBytes(dtype, cols()); }
  std::span<const float> F32() const {
    return {reinterpret_cast<const float*>(data), static_cast<size_t>(NumElements())};
  }
};

// 64-byte aligned heap storage; the alignment suits AVX-512 loads. Allocation is checked:
// Allocate() returns an error saying what the memory was for and how many bytes; the
// constructor throws std::bad_alloc (which the CLI reports as an error), never a null buffer.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes)
      : data_(static_cast<std::byte*>(std::aligned_alloc(64, RoundUp(bytes))), &std::free),
        size_(bytes) {
    if (data_ == nullptr) throw std::bad_alloc();
  }
  // `what` names the use in the error: "KV cache", "tensor model.embed_tokens.weight".
  static Result<AlignedBuffer> Allocate(size_t bytes, std::string_view what);

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }
  template <typename T>
  T* As() { return reinterpret_cast<T*>(data_.get()); }
  template <typename T>
  const T* As() const { return reinterpret_cast<const T*>(data_.get()); }

 private:
  static size_t RoundUp(size_t bytes) { return (bytes + 63) / 64 * 64 + (bytes == 0 ? 64 : 0); }
  AlignedBuffer(std::byte* data, size_t bytes) : data_(data, &std::free), size_(bytes) {}
  std::unique_ptr<std::byte, decltype(&std::free)> data_{nullptr, &std::free};
  size_t size_ = 0;
};

// A tensor that owns its bytes; view() hands out the non-owning form.
struct OwnedTensor {
  DType dtype = DType::kF32;
  Shape shape;
  AlignedBuffer buffer;

  static OwnedTensor Zeros(DType dtype, Shape shape);  // throws std::bad_alloc when out of memory
  // Checked: an error naming `what` and the bytes when the memory is not there.
  static Result<OwnedTensor> TryZeros(DType dtype, Shape shape, std::string_view what);
  TensorView view() const { return {dtype, shape, buffer.data()}; }
  float* f32() { return buffer.As<float>(); }
};

}  // namespace lieq
