// Read-only memory map of a whole file; weights are used in place without copying.
#pragma once

#include <cstddef>
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

 private:
  MappedFile() = default;
  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

// Whole file into a string (small text files: config.json, tokenizer.json).
Result<std::string> ReadTextFile(const std::string& path);

}  // namespace lieq
