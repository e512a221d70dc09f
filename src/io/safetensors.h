// The safetensors format: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the
// data. Tensors are viewed in place through a memory map.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/mapped_file.h"
#include "core/status.h"
#include "core/tensor.h"

namespace lieq {

class SafetensorsFile {
 public:
  // Validates the whole header against the file size: dtype known, shape product and byte
  // range consistent, ranges inside the data section.
  static Result<SafetensorsFile> Open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  const std::shared_ptr<MappedFile>& file() const { return file_; }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::shared_ptr<MappedFile> file_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// safetensors dtype string ("F32", "F16", "BF16") for a DType, or an error for others.
Result<std::string> SafetensorsDtypeName(DType dtype);

struct NamedTensor {
  std::string name;
  TensorView view;  // F32, F16 or BF16
};

// Writes tensors in the given order (atomically).
Status WriteSafetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                        const std::map<std::string, std::string>& metadata,
                        const WriteOptions& options);

// The same file from tensors produced one at a time: `specs` give each tensor's name, dtype and
// shape (the views' data is not used); `write_tensor(i, f)` writes tensor i's bytes, so no more
// than one tensor (or less) needs to be in memory.
Status WriteSafetensorsStreamed(const std::string& path, const std::vector<NamedTensor>& specs,
                                const std::map<std::string, std::string>& metadata,
                                const WriteOptions& options,
                                const std::function<Status(size_t, std::FILE*)>& write_tensor);

// Bytes of the file WriteSafetensors writes for these tensors (header included).
uint64_t SafetensorsFileBytes(const std::vector<NamedTensor>& specs);

}  // namespace lieq
