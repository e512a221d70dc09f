#include "quant/hessian.h"

#include <cblas.h>

#include <cmath>

namespace lieq {

HessianAccumulator::HessianAccumulator(int64_t in)
    : in_(in),
      gram_(static_cast<size_t>(in * in)),
      abs_sum_(static_cast<size_t>(in)),
      scratch_(static_cast<size_t>(in * in)) {}

void HessianAccumulator::Add(const float* x, int64_t n) {
  if (n <= 0) return;
  // Each call in float (n ≤ a window), summed across calls in double.
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(in_), static_cast<int>(n),
              1.0f, x, static_cast<int>(in_), 0.0f, scratch_.data(), static_cast<int>(in_));
  for (int64_t i = 0; i < in_; ++i) {
    for (int64_t j = i; j < in_; ++j) gram_[i * in_ + j] += scratch_[i * in_ + j];
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
