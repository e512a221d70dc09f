// Builds a GGUF version 3 file (little-endian): metadata in insertion order, then the tensor
// directory, then each tensor's bytes at offsets padded to the alignment. Written atomically.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/status.h"
#include "core/tensor.h"
#include "io/gguf_reader.h"

namespace lieq {

class GgufWriter {
 public:
  // Fills `out` with the RowBytes(dtype, cols) bytes of row `row` (rows counted over all
  // outer dims). Lets callers convert, quantize or permute while writing, one row in memory.
  using RowFn = std::function<Status(int64_t row, std::byte* out)>;

  // Adds or replaces a metadata key (the original position is kept on replacement).
  void Set(const std::string& key, GgufValue value);
  // Alignment of the data section and of every tensor (a power of two; default 32). A value
  // other than 32 is recorded as general.alignment, as the specification requires.
  Status SetAlignment(uint32_t alignment);

  // Adds a tensor whose bytes are read from `view` during Write (they must stay valid until
  // then). Errors on a duplicate name, an empty shape, more than 4 dims, a non-positive dim, or
  // a row length that is not a multiple of the dtype's block size.
  Status AddTensor(const std::string& name, const TensorView& view);
  // Adds a tensor whose rows come from `fill` during Write.
  Status AddTensor(const std::string& name, DType dtype, const Shape& shape, RowFn fill);

  size_t tensor_count() const { return tensors_.size(); }

  // Writes the file through WriteFileAtomically.
  Status Write(const std::string& path, const WriteOptions& options) const;

 private:
  struct PendingTensor {
    std::string name;
    DType dtype;
    Shape shape;  // row-major, outermost first
    RowFn fill;
  };

  Status WriteTo(std::FILE* f, const std::string& path) const;

  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, size_t> metadata_index_;
  std::vector<PendingTensor> tensors_;
  std::map<std::string, size_t> tensor_index_;
  uint32_t alignment_ = kGgufDefaultAlignment;
};

}  // namespace lieq
