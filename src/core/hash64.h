// A small 64-bit hash for resume-cache keys (`--cache-dir` of quantize and diagnose): detects changed
// inputs, not adversaries. Header-only so any library can use it without a link dependency.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lieq {

class Hash64 {
 public:
  Hash64& Bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      h_ = Mix(h_, w);
    }
    uint64_t tail = 0;
    for (size_t k = 0; i < n; ++i, ++k) tail |= static_cast<uint64_t>(p[i]) << (8 * k);
    h_ = Mix(Mix(h_, tail), n);
    n_ += n;
    return *this;
  }
  Hash64& U64(uint64_t v) {
    h_ = Mix(h_, v);
    return *this;
  }
  Hash64& Str(std::string_view s) { return Bytes(s.data(), s.size()); }  // length-mixed
  Hash64& F64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return U64(bits);
  }
  uint64_t digest() const { return Mix(h_, n_); }

 private:
  static uint64_t Mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
  }
  uint64_t h_ = 0x9E3779B97F4A7C15ull;
  uint64_t n_ = 0;
};

}  // namespace lieq
