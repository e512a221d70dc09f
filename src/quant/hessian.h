// Second-order statistics of one linear layer's inputs, accumulated over calibration tokens:
// the GPTQ Hessian H = 2·XᵀX/N and AWQ's per-channel activation magnitude mean|x|.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lieq {

class HessianAccumulator {
 public:
  explicit HessianAccumulator(int64_t in);

  // x [n, in]: n more input rows; on the pool's threads when given (same result either way).
  void Add(const float* x, int64_t n, ThreadPool* pool = nullptr);

  int64_t in() const { return in_; }
  int64_t samples() const { return samples_; }
  // H [in, in] = 2·XᵀX / N (full symmetric, row-major).
  std::vector<double> Hessian() const;
  // The same, made from the sums in place (no second [in, in] matrix at the peak of a block);
  // the accumulator is empty afterwards.
  std::vector<double> TakeHessian();
  // [in] mean over tokens of |x_c|.
  std::vector<double> MeanAbs() const;

 private:
  // 2·C/N from the sums C (upper triangle read), both triangles filled.
  std::vector<double> HessianOf(std::vector<double> sums) const;

  int64_t in_;
  int64_t samples_ = 0;
  std::vector<double> gram_;     // [in, in] Σ xᵀx, upper triangle kept
  std::vector<double> abs_sum_;  // [in]
};

}  // namespace lieq
