#include "kernels/q8_activations.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace lieq {

void Q8Activations::Quantize(const float* x, int64_t n, int64_t cols, const Q8Layout& layout) {
  Resize(n, cols, layout);
  QuantizeRows(x, 0, n);
}

void Q8Activations::Resize(int64_t n, int64_t cols, const Q8Layout& layout) {
  assert(cols % layout.block == 0 && layout.block % 32 == 0);
  layout_ = layout;
  cols_ = cols;
  // Buffers only grow: an owner reused across calls of different shapes (the prefill GEMM keeps
  // one per thread) then neither reallocates nor re-zeroes them.
  auto grow = [](auto& v, int64_t size) {
    if (v.size() < static_cast<size_t>(size)) v.resize(static_cast<size_t>(size));
  };
  grow(q_, n * cols);
  grow(q8_, n * cols);
  grow(bsum16_, n * cols / 16);
  grow(scale_, n * cols / layout.block);
  grow(sum16_, n * cols / 16);
  grow(sum32_, n * cols / 32);
}

void Q8Activations::QuantizeRows(const float* x, int64_t t0, int64_t t1) {
  const Q8Layout& layout = layout_;
  const int64_t cols = cols_;
  int perm[32];
  for (int c = 0; c < 32; ++c) perm[c] = Q8PermutedIndex(layout, c);
  // One block in natural order; written with loops the compiler vectorises (prefill quantizes
  // n · cols values per call, so this is not negligible next to the integer GEMM).
  std::vector<int16_t> natural(static_cast<size_t>(layout.block));
  for (int64_t t = t0; t < t1; ++t) {
    const float* xr = x + t * cols;
    int16_t* qr = q_.data() + t * cols;
    int16_t* nat = natural.data();
    for (int64_t b = 0; b < cols / layout.block; ++b) {
      const float* xb = xr + b * layout.block;
      float lanes[8] = {};
      for (int i = 0; i < layout.block; i += 8) {
        for (int j = 0; j < 8; ++j) lanes[j] = std::max(lanes[j], std::fabs(xb[i + j]));
      }
      float amax = 0;
      for (float v : lanes) amax = std::max(amax, v);
      const float d = amax / 127.0f;
      const float inv = amax > 0 ? 127.0f / amax : 0.0f;
      scale_[static_cast<size_t>(t * cols / layout.block + b)] = d;
      for (int i = 0; i < layout.block; ++i) {
        nat[i] = static_cast<int16_t>(std::clamp(std::nearbyint(xb[i] * inv), -127.0f, 127.0f));
      }
      int16_t* qb = qr + b * layout.block;
      if (layout.plane_bits == 0) {
        std::copy(nat, nat + layout.block, qb);
      } else {
        for (int i = 0; i < layout.block; ++i) qb[(i & ~31) + perm[i & 31]] = nat[i];
      }
      for (int s = 0; s < layout.block / 16; ++s) {
        int sum = 0;
        for (int i = 16 * s; i < 16 * s + 16; ++i) sum += nat[i];
        bsum16_[static_cast<size_t>((t * cols + b * layout.block) / 16 + s)] =
            static_cast<int16_t>(sum);
      }
    }
    int8_t* q8r = q8_.data() + t * cols;
    for (int64_t i = 0; i < cols; ++i) q8r[i] = static_cast<int8_t>(qr[i]);
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
