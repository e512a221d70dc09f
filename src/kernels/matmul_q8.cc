#include "kernels/matmul_q8.h"

#include "kernels/matmul_parallel.h"
#include "kernels/vec_dot.h"

namespace lieq {

void MatMulQ8(const float* x, int64_t n, const RowDotter& w, float* y, ThreadPool& pool) {
  if (n <= 0 || w.rows <= 0) return;
  Q8Activations acts;
  acts.Quantize(x, n, w.cols, w.layout);
  // 64 rows of a 1024-wide Q2_K matrix are ~21 KiB: a chunk's bytes stay in L1/L2 while every
  // row of x passes over them.
  constexpr int64_t kChunkRows = 64;
  ParallelChunks(pool, w.rows, kChunkRows, [&](int, int64_t b, int64_t e) {
    for (int64_t t = 0; t < n; ++t) w.dot(b, e, acts.Row(t), y + t * w.rows);
  });
}

RowDotter TensorRowDotter(const TensorView& w) {
  RowDotter d;
  d.rows = w.rows();
  d.cols = w.cols();
  d.layout = VecDotLayout(w.dtype);
  VecDotFn fn = VecDotSimd(w.dtype);
  if (fn == nullptr) fn = VecDotReference(w.dtype);
  if (fn == nullptr || d.cols % d.layout.block != 0) return d;
  d.dot = [&w, fn](int64_t r0, int64_t r1, const Q8Row& a, float* y) {
    for (int64_t r = r0; r < r1; ++r) y[r] = fn(w.Row(r), a);
  };
  return d;
}

RowDotter GroupRowDotter(const GroupQuantView& w) {
  RowDotter d;
  d.rows = w.rows;
  d.cols = w.cols;
  d.layout = GroupVecDotLayout(w.bits);
  GroupVecDotFn fn = GroupVecDotSimd(w.bits);
  if (fn == nullptr) fn = GroupVecDotReference(w.bits);
  if (fn == nullptr || w.group_size % 32 != 0 || w.cols % w.group_size != 0) return d;
  d.dot = [&w, fn](int64_t r0, int64_t r1, const Q8Row& a, float* y) {
    const int64_t row_bytes = PackedRowBytes(w.bits, w.cols), groups = w.groups_per_row();
    for (int64_t r = r0; r < r1; ++r) {
      const GroupRow row{w.codes + r * row_bytes, w.scales + r * groups, w.zeros + r * groups,
                         w.group_size};
      y[r] = fn(row, a);
    }
  };
  return d;
}

}  // namespace lieq
