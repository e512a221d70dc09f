// Decode-path linear layers on packed weights through the integer dot kernels (vec_dot.h):
// x [n, cols] is quantized once to Q8 rows (kernels/q8_activations.h), then every packed weight
// row is dotted with each of them. No weight is ever decoded to a float buffer, so the packed
// bytes stream through the kernels straight from memory. Parallel over output rows in fixed
// chunks: results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/group_quant.h"
#include "kernels/q8_activations.h"

namespace lieq {

struct RowDotter {
  int64_t rows = 0;
  int64_t cols = 0;
  Q8Layout layout;  // the activation layout `dot` expects
  // y[r] = row r · a for r in [r0, r1); called from several threads.
  std::function<void(int64_t r0, int64_t r1, const Q8Row& a, float* y)> dot;
};

// y [n, rows] = x [n, cols] · Wᵀ.
void MatMulQ8(const float* x, int64_t n, const RowDotter& w, float* y, ThreadPool& pool);

// The dotter of a TensorView in a GGUF block type, through the SIMD kernel (the scalar reference
// on targets without one); an empty `dot` when the type has no kernel or cols is not a multiple
// of its activation block.
RowDotter TensorRowDotter(const TensorView& w);

// The same for the group format; empty `dot` unless bits ∈ {2, 3, 4, 8} and group_size is a
// multiple of 32.
RowDotter GroupRowDotter(const GroupQuantView& w);

}  // namespace lieq
