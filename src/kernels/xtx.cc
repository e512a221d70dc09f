#include "kernels/xtx.h"

#include <cblas.h>

#include <algorithm>
#include <utility>

#include "kernels/blas_threads.h"

namespace lieq {

void AccumulateXtX(const float* x, int64_t n, int64_t dim, double* upper, ThreadPool* pool) {
  if (n <= 0) return;
  constexpr int64_t kTile = 256;
  const int64_t tiles = (dim + kTile - 1) / kTile;
  std::vector<std::pair<int64_t, int64_t>> upper_tiles;  // (row tile, column tile), row <= column
  for (int64_t i = 0; i < tiles; ++i) {
    for (int64_t j = i; j < tiles; ++j) upper_tiles.emplace_back(i, j);
  }
  const int threads = pool != nullptr ? pool->size() : 1;
  std::vector<std::vector<float>> buffers(static_cast<size_t>(threads),
                                          std::vector<float>(kTile * kTile));
  const auto tile = [&](int thread, int64_t u) {
    const int64_t r0 = upper_tiles[static_cast<size_t>(u)].first * kTile;
    const int64_t c0 = upper_tiles[static_cast<size_t>(u)].second * kTile;
    const int rows = static_cast<int>(std::min(kTile, dim - r0));
    const int cols = static_cast<int>(std::min(kTile, dim - c0));
    const int ld = static_cast<int>(dim);
    float* c = buffers[static_cast<size_t>(thread)].data();  // [rows, cols], ld kTile
    if (r0 == c0) {
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, rows, static_cast<int>(n), 1.0f, x + r0,
                  ld, 0.0f, c, kTile);
    } else {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, cols, static_cast<int>(n), 1.0f,
                  x + r0, ld, x + c0, ld, 0.0f, c, kTile);
    }
    for (int64_t i = r0; i < r0 + rows; ++i) {
      for (int64_t j = std::max(i, c0); j < c0 + cols; ++j)
        upper[i * dim + j] += c[(i - r0) * kTile + (j - c0)];
    }
  };
  SetBlasThreads(1);
  if (pool != nullptr) {
    pool->ParallelForEach(static_cast<int64_t>(upper_tiles.size()), tile);
  } else {
    for (int64_t u = 0; u < static_cast<int64_t>(upper_tiles.size()); ++u) tile(0, u);
  }
}

}  // namespace lieq
