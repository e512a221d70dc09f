#include "kernels/xtx.h"

#include <cblas.h>

#include <algorithm>
#include <utility>

#include "kernels/blas_threads.h"

namespace lieq {

void AccumulateXtX(const float* x, int64_t n, int64_t dim, std::vector<float>& scratch,
                   double* upper, ThreadPool* pool) {
  if (n <= 0) return;
  constexpr int64_t kTile = 256;
  scratch.resize(static_cast<size_t>(dim * dim));
  const int64_t tiles = (dim + kTile - 1) / kTile;
  std::vector<std::pair<int64_t, int64_t>> upper_tiles;  // (row tile, column tile), row <= column
  for (int64_t i = 0; i < tiles; ++i) {
    for (int64_t j = i; j < tiles; ++j) upper_tiles.emplace_back(i, j);
  }
  const auto tile = [&](int64_t u) {
    const int64_t r0 = upper_tiles[static_cast<size_t>(u)].first * kTile;
    const int64_t c0 = upper_tiles[static_cast<size_t>(u)].second * kTile;
    const int rows = static_cast<int>(std::min(kTile, dim - r0));
    const int cols = static_cast<int>(std::min(kTile, dim - c0));
    const int ld = static_cast<int>(dim);
    float* c = scratch.data() + r0 * dim + c0;
    if (r0 == c0) {
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, rows, static_cast<int>(n), 1.0f, x + r0,
                  ld, 0.0f, c, ld);
    } else {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, cols, static_cast<int>(n), 1.0f,
                  x + r0, ld, x + c0, ld, 0.0f, c, ld);
    }
    for (int64_t i = r0; i < r0 + rows; ++i) {
      for (int64_t j = std::max(i, c0); j < c0 + cols; ++j)
        upper[i * dim + j] += scratch[static_cast<size_t>(i * dim + j)];
    }
  };
  SetBlasThreads(1);
  if (pool != nullptr) {
    pool->ParallelFor(static_cast<int64_t>(upper_tiles.size()), tile);
  } else {
    for (int64_t u = 0; u < static_cast<int64_t>(upper_tiles.size()); ++u) tile(u);
  }
}

}  // namespace lieq
