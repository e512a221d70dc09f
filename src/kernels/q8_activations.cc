#include "kernels/q8_activations.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace lieq {

void Q8Activations::Quantize(const float* x, int64_t n, int64_t cols, const Q8Layout& layout) {
  Resize(n, cols, layout);
  QuantizeRows(x, 0, n);
}

void Q8Activations::Resize(int64_t n, int64_t cols, const Q8Layout& layout) {
  assert(cols % layout.block == 0 && layout.block % 32 == 0);
  layout_ = layout;
  cols_ = cols;
  q_.resize(static_cast<size_t>(n * cols));
  q8_.resize(static_cast<size_t>(n * cols));
  bsum16_.resize(static_cast<size_t>(n * cols / 16));
  scale_.resize(static_cast<size_t>(n * cols / layout.block));
  sum16_.resize(static_cast<size_t>(n * cols / 16));
  sum32_.resize(static_cast<size_t>(n * cols / 32));
}

void Q8Activations::QuantizeRows(const float* x, int64_t t0, int64_t t1) {
  const Q8Layout& layout = layout_;
  const int64_t cols = cols_;
  int perm[32];
  for (int c = 0; c < 32; ++c) perm[c] = Q8PermutedIndex(layout, c);
  for (int64_t t = t0; t < t1; ++t) {
    const float* xr = x + t * cols;
    int16_t* qr = q_.data() + t * cols;
    for (int64_t b = 0; b < cols / layout.block; ++b) {
      const float* xb = xr + b * layout.block;
      float amax = 0;
      for (int i = 0; i < layout.block; ++i) amax = std::max(amax, std::fabs(xb[i]));
      const float d = amax / 127.0f;
      const float inv = amax > 0 ? 127.0f / amax : 0.0f;
      scale_[static_cast<size_t>(t * cols / layout.block + b)] = d;
      for (int i = 0; i < layout.block; ++i) {
        const int base = i & ~31;
        const float v = std::nearbyint(xb[i] * inv);
        qr[b * layout.block + base + perm[i & 31]] =
            static_cast<int16_t>(std::clamp(v, -127.0f, 127.0f));
      }
    }
    for (int64_t i = 0; i < cols; ++i)
      q8_[static_cast<size_t>(t * cols + i)] = static_cast<int8_t>(qr[i]);
    for (int64_t s = 0; s < cols / 16; ++s) {
      int sum = 0;
      for (int64_t c = 16 * s; c < 16 * s + 16; ++c) sum += qr[(c & ~int64_t{31}) + perm[c & 31]];
      bsum16_[static_cast<size_t>(t * cols / 16 + s)] = static_cast<int16_t>(sum);
    }
    for (int64_t s = 0; s < cols / 16; ++s) {
      float sum = 0;
      for (int i = 0; i < 16; ++i) sum += xr[s * 16 + i];
      sum16_[static_cast<size_t>(t * cols / 16 + s)] = sum;
    }
    for (int64_t s = 0; s < cols / 32; ++s) {
      sum32_[static_cast<size_t>(t * cols / 32 + s)] =
          sum16_[static_cast<size_t>(t * cols / 16 + 2 * s)] +
          sum16_[static_cast<size_t>(t * cols / 16 + 2 * s + 1)];
    }
  }
}

Q8Row Q8Activations::Row(int64_t t) const {
  Q8Row r;
  r.cols = cols_;
  r.q = q_.data() + t * cols_;
  r.scale = scale_.data() + t * cols_ / layout_.block;
  r.q8 = q8_.data() + t * cols_;
  r.bsum16 = bsum16_.data() + t * cols_ / 16;
  r.sum16 = sum16_.data() + t * cols_ / 16;
  r.sum32 = sum32_.data() + t * cols_ / 32;
  return r;
}

}  // namespace lieq
