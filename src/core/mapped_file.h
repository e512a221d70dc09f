// Read-only memory map of a whole file; weights are used in place without copying.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"

namespace lieq {

class MappedFile {
 public:
  static Result<std::shared_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  size_t size() const { return size_; }
  const std::byte* data() const { return data_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  bool Contains(const void* p) const {
    const auto* b = static_cast<const std::byte*>(p);
    return data_ != nullptr && b >= data_ && b < data_ + size_;
  }

  // Drops the whole pages inside [p, p + bytes) from the process's resident memory
  // (MADV_DONTNEED): they are read from the file again if touched. For passes that read each
  // weight once (checks, hashing, quantizing a block), which would otherwise keep the whole
  // file resident until exit. A range outside the map is ignored.
  void Release(const void* p, size_t bytes) const;

 private:
  MappedFile() = default;
  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

// The most bytes lieq reads from one text input (256 MiB): a file, FIFO or device that holds
// more (`--text /dev/zero`) is an error, not an unbounded allocation.
inline constexpr uint64_t kMaxTextFileBytes = uint64_t{256} << 20;

// Whole file into a string (config.json, tokenizer.json, text to evaluate). Reads FIFOs and
// devices too, but never more than `max_bytes`; a folder is an error.
Result<std::string> ReadTextFile(const std::string& path, uint64_t max_bytes = kMaxTextFileBytes);

}  // namespace lieq
