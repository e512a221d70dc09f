#include "quant/hessian.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "kernels/blas_threads.h"

namespace lieq {

HessianAccumulator::HessianAccumulator(int64_t in)
    : in_(in),
      gram_(static_cast<size_t>(in * in)),
      abs_sum_(static_cast<size_t>(in)),
      scratch_(static_cast<size_t>(in * in)) {}

void HessianAccumulator::Add(const float* x, int64_t n, ThreadPool* pool) {
  if (n <= 0) return;
  // Each call in float (n ≤ a window), summed across calls in double. The upper triangle is cut
  // into fixed tiles of kTile × kTile, each one single-threaded OpenBLAS call run by one pool
  // thread: every element is the same sum whatever the thread count (OpenBLAS's own threading
  // of ssyrk changes the rounding with it).
  constexpr int64_t kTile = 256;
  const int64_t tiles = (in_ + kTile - 1) / kTile;
  std::vector<std::pair<int64_t, int64_t>> upper;  // (row tile, column tile), row <= column
  for (int64_t i = 0; i < tiles; ++i) {
    for (int64_t j = i; j < tiles; ++j) upper.emplace_back(i, j);
  }
  const auto tile = [&](int64_t u) {
    const int64_t r0 = upper[static_cast<size_t>(u)].first * kTile;
    const int64_t c0 = upper[static_cast<size_t>(u)].second * kTile;
    const int rows = static_cast<int>(std::min(kTile, in_ - r0));
    const int cols = static_cast<int>(std::min(kTile, in_ - c0));
    const int ld = static_cast<int>(in_);
    float* c = scratch_.data() + r0 * in_ + c0;
    if (r0 == c0) {
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, rows, static_cast<int>(n), 1.0f, x + r0,
                  ld, 0.0f, c, ld);
    } else {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, cols, static_cast<int>(n), 1.0f,
                  x + r0, ld, x + c0, ld, 0.0f, c, ld);
    }
    for (int64_t i = r0; i < r0 + rows; ++i) {
      for (int64_t j = std::max(i, c0); j < c0 + cols; ++j)
        gram_[i * in_ + j] += scratch_[i * in_ + j];
    }
  };
  SetBlasThreads(1);
  if (pool != nullptr) {
    pool->ParallelFor(static_cast<int64_t>(upper.size()), tile);
  } else {
    for (int64_t u = 0; u < static_cast<int64_t>(upper.size()); ++u) tile(u);
  }
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t c = 0; c < in_; ++c) abs_sum_[c] += std::fabs(x[t * in_ + c]);
  }
  samples_ += n;
}

std::vector<double> HessianAccumulator::Hessian() const {
  std::vector<double> h(gram_.size());
  const double scale = samples_ > 0 ? 2.0 / static_cast<double>(samples_) : 0.0;
  for (int64_t i = 0; i < in_; ++i) {
    for (int64_t j = i; j < in_; ++j) {
      h[i * in_ + j] = h[j * in_ + i] = scale * gram_[i * in_ + j];
    }
  }
  return h;
}

std::vector<double> HessianAccumulator::MeanAbs() const {
  std::vector<double> m(abs_sum_);
  for (double& v : m) v /= static_cast<double>(std::max<int64_t>(samples_, 1));
  return m;
}

}  // namespace lieq
