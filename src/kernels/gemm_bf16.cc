// The BF16 prefill GEMM (gemm_bf16.h): activation rounding, threads and the reference; the tile
// kernel lives in gemm_bf16_simd.cc.
#include "kernels/gemm_bf16.h"

#include <cassert>
#include <vector>

#include "core/half.h"
#include "kernels/matmul.h"
#include "kernels/matmul_parallel.h"

namespace lieq {
namespace {

std::vector<uint16_t> RoundToBf16(const float* x, int64_t count) {
  std::vector<uint16_t> xb(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) xb[static_cast<size_t>(i)] = F32ToBf16(x[i]);
  return xb;
}

}  // namespace

bool GemmBf16Supported() { return GemmBf16TilesSimd() != nullptr; }

void GemmBf16(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool) {
  assert(w.dtype == DType::kBF16 && w.cols() % 2 == 0);
  const int64_t rows = w.rows(), cols = w.cols();
  if (n <= 0 || rows <= 0) return;
  const GemmBf16TilesFn tiles = GemmBf16TilesSimd();
  // Kept per calling thread between calls (a fresh buffer costs a memset and page faults).
  // The lambdas below run on pool threads, so they use this reference: a thread_local named
  // inside a lambda is the running thread's own.
  thread_local std::vector<uint16_t> caller_xb;
  std::vector<uint16_t>& xb = caller_xb;
  if (xb.size() < static_cast<size_t>(n * cols)) xb.resize(static_cast<size_t>(n * cols));
  pool.ParallelRanges(n, [&](int, int64_t t0, int64_t t1) {
    for (int64_t i = t0 * cols; i < t1 * cols; ++i) xb[static_cast<size_t>(i)] = F32ToBf16(x[i]);
  });
  std::vector<AlignedBuffer> scratch(static_cast<size_t>(pool.size()));
  ParallelChunks(pool, rows, 4 * kGemmBf16TileRows, [&](int thread, int64_t r0, int64_t r1) {
    AlignedBuffer& b = scratch[static_cast<size_t>(thread)];
    if (b.size() == 0)
      b = AlignedBuffer(static_cast<size_t>(2 * kGemmBf16TileRows * cols) * 2);  // two tiles
    tiles(xb.data(), n, w, r0, r1, y, rows, b.data());
  });
}

void GemmBf16Reference(const float* x, int64_t n, const TensorView& w, float* y) {
  const std::vector<uint16_t> xb = RoundToBf16(x, n * w.cols());
  std::vector<float> xr(xb.size());
  for (size_t i = 0; i < xb.size(); ++i) xr[i] = Bf16ToF32(xb[i]);
  MatMulReference(xr.data(), n, w, y);
}

}  // namespace lieq
