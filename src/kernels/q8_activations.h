// Activations quantized to 8-bit integers for the integer dot-product kernels (vec_dot.h).
// Decode reads every weight once per token, so its speed is set by how cheaply a packed weight
// meets an activation. Unpacked codes are small integers; with the activations as integers too,
// a whole sub-block is one run of 16-bit multiply-adds into 32-bit sums, and the float scales
// are applied once per block instead of once per weight.
//
// A row x [cols] becomes, per block of `block` (32 or 256) elements,
//   scale d = max|x| / 127 and quants a = round(x / d) ∈ [−127, 127],  x ≈ d · a,
// stored as int16 (widened once here, not in every kernel), plus the exact float sums of x per
// 16 and per 32 elements: the K formats' and group format's offset terms (dmin·m·Σx, s·z·Σx) use
// them, so that only the Σ q·x part carries the activations' rounding error.
//
// Within every 32-element block the quants may be stored in a permuted order (the "planes" of a
// packed byte stream), so that kernels can unpack b-bit codes with whole-vector shifts.
#pragma once

#include <cstdint>
#include <vector>

namespace lieq {

struct Q8Layout {
  int block = 256;     // elements per scale: 256 (K formats) or 32
  int plane_bits = 0;  // 0: natural order; 2 or 4: planes of a b-bit stream (below)
};

// With plane_bits = b (2 or 4), a 32-element block holds per = 8 / b codes per byte in B = 4b
// bytes; element c = per · i + j (byte i, bit plane j) is stored at position j · B + i.
inline int Q8PermutedIndex(const Q8Layout& layout, int c) {
  if (layout.plane_bits == 0) return c;
  const int per = 8 / layout.plane_bits, bytes = 4 * layout.plane_bits;
  return (c % per) * bytes + c / per;
}

// One quantized row, as the kernels read it.
struct Q8Row {
  int64_t cols = 0;
  const int16_t* q = nullptr;       // [cols] quants, permuted per the layout
  const int8_t* q8 = nullptr;       // [cols] the same quants as bytes (x86 byte multiply-adds)
  const int16_t* bsum16 = nullptr;  // [cols / 16] Σ q over natural-order runs of 16
  const float* scale = nullptr;     // [cols / block]
  const float* sum16 = nullptr;     // [cols / 16] Σ x over natural-order runs of 16
  const float* sum32 = nullptr;     // [cols / 32] the same over runs of 32
};

// Owner of n quantized rows.
class Q8Activations {
 public:
  // x [n, cols]; cols must be a multiple of layout.block (checked by the caller).
  void Quantize(const float* x, int64_t n, int64_t cols, const Q8Layout& layout);
  // The same in two steps, so that callers can quantize rows on several threads: Resize sizes
  // the buffers for n rows, QuantizeRows fills rows [t0, t1) of x [n, cols] (disjoint ranges may
  // run concurrently).
  void Resize(int64_t n, int64_t cols, const Q8Layout& layout);
  void QuantizeRows(const float* x, int64_t t0, int64_t t1);
  Q8Row Row(int64_t t) const;
  const Q8Layout& layout() const { return layout_; }

 private:
  Q8Layout layout_;
  int64_t cols_ = 0;
  std::vector<int16_t> q_;
  std::vector<int8_t> q8_;
  std::vector<int16_t> bsum16_;
  std::vector<float> scale_;
  std::vector<float> sum16_;
  std::vector<float> sum32_;
};

}  // namespace lieq
