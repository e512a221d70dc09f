// C += XᵀX for one batch of input rows: the Gram matrix behind GPTQ's Hessian and the
// diagnostics' output spectra.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lieq {

// upper [dim, dim] (row-major, upper triangle only) += Xᵀ·X for x [n, dim]. The batch is
// summed in float and added to the double total, so a batch of ≤ a few thousand rows loses
// nothing that matters while sums across batches stay exact. The triangle is cut into fixed
// 256 × 256 tiles, each one single-threaded BLAS call into a tile-sized float buffer, run by
// whichever pool thread is free: every element is the same sum whatever the thread count
// (OpenBLAS's own threading changes the rounding with it).
void AccumulateXtX(const float* x, int64_t n, int64_t dim, double* upper, ThreadPool* pool);

}  // namespace lieq
