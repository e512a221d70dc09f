#include "analysis/gram.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "analysis/lapack.h"
#include "kernels/xtx.h"

namespace lieq {

Gram::Gram(int64_t dim) : dim_(dim), c_(static_cast<size_t>(dim * dim), 0.0) {}

Gram Gram::FromMatrix(std::vector<double> matrix, int64_t dim) {
  assert(static_cast<int64_t>(matrix.size()) == dim * dim);
  Gram g(dim);
  g.c_ = std::move(matrix);
  return g;
}

void Gram::Add(const float* x, int64_t n, ThreadPool* pool) {
  AccumulateXtX(x, n, dim_, c_.data(), pool);  // the upper triangle
  tokens_ += n;
  symmetric_ = false;
  factor_.clear();
}

const std::vector<double>& Gram::matrix() {
  if (!symmetric_) {
    for (int64_t i = 0; i < dim_; ++i) {
      for (int64_t j = 0; j < i; ++j) {
        c_[static_cast<size_t>(i * dim_ + j)] = c_[static_cast<size_t>(j * dim_ + i)];
      }
    }
    symmetric_ = true;
  }
  return c_;
}

Gram Gram::SubBlock(int64_t begin, int64_t size) {
  const std::vector<double>& c = matrix();
  std::vector<double> sub(static_cast<size_t>(size * size));
  for (int64_t i = 0; i < size; ++i) {
    std::copy_n(c.begin() + (begin + i) * dim_ + begin, size, sub.begin() + i * size);
  }
  Gram g = FromMatrix(std::move(sub), size);
  g.tokens_ = tokens_;
  return g;
}

const std::vector<double>& Gram::Factor() {
  if (!factor_.empty()) return factor_;
  std::vector<double> vectors = matrix();  // [dim, dim] → eigenvectors as columns
  std::vector<double> values;
  const bool ok = SymmetricEigensystem(vectors, dim_, values);
  assert(ok && "dsyevd failed on a Gram matrix");
  (void)ok;
  // F = V·Λ^½: scale column j by sqrt(max(λ_j, 0)).
  for (int64_t i = 0; i < dim_; ++i) {
    for (int64_t j = 0; j < dim_; ++j) {
      vectors[static_cast<size_t>(i * dim_ + j)] *=
          std::sqrt(std::max(values[static_cast<size_t>(j)], 0.0));
    }
  }
  factor_ = std::move(vectors);
  return factor_;
}

GramF32 Gram::ToF32(bool with_factor) {
  GramF32 g;
  g.dim = dim_;
  const std::vector<double>& c = matrix();
  g.c.assign(c.begin(), c.end());
  if (with_factor) {
    const std::vector<double>& f = Factor();
    g.factor.assign(f.begin(), f.end());
  }
  return g;
}

}  // namespace lieq
