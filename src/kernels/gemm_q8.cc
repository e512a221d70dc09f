// The integer prefill GEMM (gemm_q8.h): activations, threads and the reference; the tile kernels
// live in gemm_q8_simd.cc.
#include "kernels/gemm_q8.h"

#include <algorithm>
#include <vector>

#include "kernels/block_formats.h"
#include "kernels/gemm_q8_tiles.h"
#include "kernels/matmul.h"
#include "kernels/matmul_parallel.h"
#include "kernels/q8_activations.h"

namespace lieq {
namespace {

constexpr Q8Layout kGemmLayout{kQK_K, 0};

bool IsGemmType(DType type) {
  return type == DType::kQ2_K || type == DType::kQ3_K || type == DType::kQ4_K ||
         type == DType::kQ5_K || type == DType::kQ6_K;
}

// Quantizes x on the pool's threads (rows are independent).
void QuantizeActivations(const float* x, int64_t n, int64_t cols, ThreadPool& pool,
                         Q8Activations& acts) {
  acts.Resize(n, cols, kGemmLayout);
  pool.ParallelRanges(n, [&](int, int64_t t0, int64_t t1) { acts.QuantizeRows(x, t0, t1); });
}

void RunGemm(const float* x, int64_t n, const GemmQ8Source& w, float* y, ThreadPool& pool) {
  if (n <= 0 || w.rows <= 0) return;
  const GemmQ8TilesFn tiles = GemmQ8TilesSimd();
  // Kept per calling thread between calls: fresh buffers of n · cols · 3 bytes cost a memset and
  // page faults per call (5% of a pp512 forward). The tile scratch likewise.
  // The lambdas below run on pool threads: they must see the caller's instances, so they use
  // these references (a thread_local named inside a lambda is the running thread's own).
  thread_local Q8Activations caller_acts;
  thread_local std::vector<std::vector<std::byte>> caller_scratch;
  Q8Activations& acts = caller_acts;
  std::vector<std::vector<std::byte>>& scratch = caller_scratch;
  QuantizeActivations(x, n, w.cols, pool, acts);
  if (scratch.size() < static_cast<size_t>(pool.size())) {
    scratch.resize(static_cast<size_t>(pool.size()));
  }
  // Chunks of 4 tiles: 16+ chunks for a 1024-row layer, so a thread that loses its core on a
  // shared host takes fewer of them.
  ParallelChunks(pool, w.rows, 4 * kGemmTileRows, [&](int thread, int64_t r0, int64_t r1) {
    tiles(w, acts, n, r0, r1, y, w.rows, scratch[static_cast<size_t>(thread)]);
  });
}

// x̂ = d_a · a, the activations as the GEMM sees them.
std::vector<float> DequantizedActivations(const float* x, int64_t n, int64_t cols) {
  Q8Activations acts;
  acts.Quantize(x, n, cols, kGemmLayout);
  std::vector<float> xq(static_cast<size_t>(n * cols));
  for (int64_t t = 0; t < n; ++t) {
    const Q8Row a = acts.Row(t);
    for (int64_t e = 0; e < cols; ++e) xq[t * cols + e] = a.scale[e / kQK_K] * a.q[e];
  }
  return xq;
}

}  // namespace

bool GemmQ8Supports(const TensorView& w) {
  return IsGemmType(w.dtype) && w.cols() % kQK_K == 0 && GemmQ8TilesSimd() != nullptr;
}

bool GroupGemmQ8Supports(const GroupQuantView& w) {
  const bool bits = w.bits == 2 || w.bits == 3 || w.bits == 4 || w.bits == 8;
  const bool group = w.group_size > 0 && w.group_size % 32 == 0 &&
                     (kQK_K % w.group_size == 0 || w.group_size % kQK_K == 0);
  return bits && group && w.cols % kQK_K == 0 && GemmQ8TilesSimd() != nullptr;
}

void GemmQ8(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool) {
  GemmQ8Source src;
  src.type = w.dtype;
  src.data = w.data;
  src.rows = w.rows();
  src.cols = w.cols();
  src.row_bytes = RowBytes(w.dtype, src.cols);
  RunGemm(x, n, src, y, pool);
}

void GroupGemmQ8(const float* x, int64_t n, const GroupQuantView& w, float* y, ThreadPool& pool) {
  GemmQ8Source src;
  src.group = true;
  src.view = w;
  src.rows = w.rows;
  src.cols = w.cols;
  RunGemm(x, n, src, y, pool);
}

void GemmQ8Reference(const float* x, int64_t n, const TensorView& w, float* y) {
  const std::vector<float> xq = DequantizedActivations(x, n, w.cols());
  MatMulReference(xq.data(), n, w, y);
}

void GroupGemmQ8Reference(const float* x, int64_t n, const GroupQuantView& w, float* y) {
  const std::vector<float> xq = DequantizedActivations(x, n, w.cols);
  std::vector<float> row(static_cast<size_t>(w.cols));
  for (int64_t r = 0; r < w.rows; ++r) {
    DequantizeGroupRow(w, r, row.data());
    for (int64_t t = 0; t < n; ++t) {
      double acc = 0;
      for (int64_t c = 0; c < w.cols; ++c) acc += static_cast<double>(xq[t * w.cols + c]) * row[c];
      y[t * w.rows + r] = static_cast<float>(acc);
    }
  }
}

const char* GemmQ8Kind() { return GemmQ8KindSimd(); }

}  // namespace lieq
