// GPTQ (Frantar et al. 2022, gptq.py `fasterquant`): quantizes W [rows, cols] column by column,
// feeding each column's rounding error back into the columns not yet quantized through the
// Cholesky factor of the inverse Hessian. Three steps, one function each:
//   HessianAccumulator (quant/hessian.h)  H = 2·XᵀX/N
//   InverseHessianCholesky                U with (H + λ·mean(diag H)·I)⁻¹ = UᵀU
//   GptqQuantize                          the column loop with lazy block updates
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "io/quantized_model.h"
#include "quant/quant_grid.h"

namespace lieq {

struct GptqOptions {
  double damp = 0.01;        // λ: dampening as a fraction of the mean diagonal of H
  int64_t block_size = 128;  // columns per lazy batch update
  bool act_order = false;    // columns in order of decreasing H_ii (groups then fixed up front)
};

// h [n, n] symmetric. Columns with H_ii == 0 (inputs never seen) get H_ii = 1; their weights
// must be zeroed by the caller (GptqQuantize does). Returns U [n, n] upper triangular,
// row-major. Fails when the damped matrix is not positive definite.
Result<std::vector<double>> InverseHessianCholesky(std::vector<double> h, int64_t n, double damp);

// w [rows, cols], h [cols, cols] = 2·XᵀX/N. Group parameters are fitted by `grid` when the loop
// enters each group of `group_size` columns (on the error-updated weights) and then held
// fixed; with act_order they are fitted on the original weights before the loop.
Result<PackedLinear> GptqQuantize(std::span<const float> w, int64_t rows, int64_t cols,
                                  std::span<const double> h, const QuantGrid& grid, int group_size,
                                  const GptqOptions& options);

}  // namespace lieq
