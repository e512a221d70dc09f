// The error bound of the decode path (integer kernels on 8-bit activations, kernels/matmul_q8.h)
// against the float reference, for tests: rounding x to d · a moves each x_e by at most d / 2
// (d = the scale of e's block), so one output moves by at most Σ_e |w_e| · d / 2, where w_e is
// the part of the weight multiplied by the quantized activations (the decoded weight, plus the
// offset s·z for the group format, whose offset term uses the exact sums of x).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/q8_activations.h"

namespace lieq {

inline double Q8RoundingBound(const float* w_abs_part, const Q8Row& a, int block) {
  double bound = 0;
  for (int64_t e = 0; e < a.cols; ++e) bound += std::fabs(w_abs_part[e]) * a.scale[e / block] / 2;
  return 1.001 * bound;  // float slack
}

}  // namespace lieq
