#include "quant/hessian.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "kernels/xtx.h"

namespace lieq {

HessianAccumulator::HessianAccumulator(int64_t in)
    : in_(in), gram_(static_cast<size_t>(in * in)), abs_sum_(static_cast<size_t>(in)) {}

void HessianAccumulator::Add(const float* x, int64_t n, ThreadPool* pool) {
  if (n <= 0) return;
  AccumulateXtX(x, n, in_, gram_.data(), pool);
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t c = 0; c < in_; ++c) abs_sum_[c] += std::fabs(x[t * in_ + c]);
  }
  samples_ += n;
}

std::vector<double> HessianAccumulator::Hessian() const {
  return HessianOf(std::vector<double>(gram_));
}

std::vector<double> HessianAccumulator::TakeHessian() {
  std::vector<double> sums = std::move(gram_);
  gram_.clear();
  return HessianOf(std::move(sums));
}

std::vector<double> HessianAccumulator::HessianOf(std::vector<double> h) const {
  const double scale = samples_ > 0 ? 2.0 / static_cast<double>(samples_) : 0.0;
  for (int64_t i = 0; i < in_; ++i) {
    for (int64_t j = i; j < in_; ++j) h[i * in_ + j] = h[j * in_ + i] = scale * h[i * in_ + j];
  }
  return h;
}

std::vector<double> HessianAccumulator::MeanAbs() const {
  std::vector<double> m(abs_sum_);
  for (double& v : m) v /= static_cast<double>(std::max<int64_t>(samples_, 1));
  return m;
}

}  // namespace lieq
