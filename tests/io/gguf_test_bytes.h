// Builds GGUF byte streams by hand, field by field as the specification lays them out, so that
// reader tests do not depend on GgufWriter and can forge any header.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace lieq::testing {

class GgufBytes {
 public:
  template <typename T>
  GgufBytes& Put(T v) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &v, sizeof(T));
    return *this;
  }
  GgufBytes& U8(uint8_t v) { return Put(v); }
  GgufBytes& U32(uint32_t v) { return Put(v); }
  GgufBytes& U64(uint64_t v) { return Put(v); }
  GgufBytes& Str(const std::string& s) {
    U64(s.size());
    bytes_.append(s);
    return *this;
  }
  // Header: magic, version, tensor count, kv count.
  GgufBytes& Header(uint32_t version, uint64_t tensors, uint64_t kvs) {
    bytes_.append("GGUF");
    return U32(version).U64(tensors).U64(kvs);
  }
  // A key with a uint32 value (type id 4).
  GgufBytes& KvU32(const std::string& key, uint32_t v) { return Str(key).U32(4).U32(v); }
  // A tensor info: name, n_dims, ne (innermost first), type, offset.
  GgufBytes& TensorInfo(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type,
                        uint64_t offset) {
    Str(name).U32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) U64(d);
    return U32(type).U64(offset);
  }
  GgufBytes& PadTo(size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back('\0');
    return *this;
  }
  GgufBytes& Raw(const void* data, size_t n) {
    bytes_.append(static_cast<const char*>(data), n);
    return *this;
  }
  size_t size() const { return bytes_.size(); }
  const std::string& str() const { return bytes_; }

  // Writes the first `n` bytes (all when n is npos) to `path`.
  void WriteTo(const std::string& path, size_t n = std::string::npos) const {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    const size_t len = std::min(n, bytes_.size());
    if (len > 0) std::fwrite(bytes_.data(), 1, len, f);
    std::fclose(f);
  }

 private:
  std::string bytes_;
};

}  // namespace lieq::testing
