// The Gram matrix C = Σ_t h_t h_tᵀ [in, in] of a linear layer's inputs over the calibration
// tokens, summed in double precision. Every output spectrum of the layer follows from it: for
// Z = H·Wᵀ (H [N, in] the inputs, one row per token), ZᵀZ = W·C·Wᵀ.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lieq {

// What the output spectra read, in single precision and immutable, so the pool's threads can
// share it (spectrum.h says why single precision is enough).
struct GramF32 {
  int64_t dim = 0;
  std::vector<float> c;       // [dim, dim] C, both triangles
  std::vector<float> factor;  // [dim, dim] F with F·Fᵀ = C, or empty when not asked for
};

class Gram {
 public:
  explicit Gram(int64_t dim);
  // Takes a finished symmetric matrix [dim, dim] (tests, sub-blocks).
  static Gram FromMatrix(std::vector<double> matrix, int64_t dim);

  // C += xᵀ·x for x [n, dim] (one row per token): each call summed in float, calls in double
  // (kernels/xtx.h), on the pool's threads when given, the same bits either way.
  void Add(const float* x, int64_t n, ThreadPool* pool = nullptr);

  int64_t dim() const { return dim_; }
  int64_t tokens() const { return tokens_; }
  // C [dim, dim], both triangles filled.
  const std::vector<double>& matrix();
  // The square C[begin:begin+size, begin:begin+size] (one attention head's inputs to o).
  Gram SubBlock(int64_t begin, int64_t size);
  // F [dim, dim] with F·Fᵀ = C (F = V·Λ^½ from C's eigendecomposition, negative rounding
  // noise clamped to 0), computed once.
  const std::vector<double>& Factor();
  // C, and F when `with_factor`, rounded to float.
  GramF32 ToF32(bool with_factor);

 private:
  int64_t dim_;
  int64_t tokens_ = 0;
  bool symmetric_ = true;       // lower triangle mirrors the upper one
  std::vector<double> c_;       // [dim, dim]; Add fills the upper triangle
  std::vector<double> factor_;  // [dim, dim] or empty
};

}  // namespace lieq
