#include "quant/kquant_gptq.h"

#include <cblas.h>

#include <algorithm>
#include <string>

#include "kernels/block_formats.h"

namespace lieq {
namespace {

GridQuantizedLinear Empty(const KQuantGrid& grid, int64_t rows, int64_t cols) {
  GridQuantizedLinear out;
  out.type = grid.type();
  out.rows = rows;
  out.cols = cols;
  out.data.resize(static_cast<size_t>(rows * RowBytes(grid.type(), cols)));
  out.values.resize(static_cast<size_t>(rows * cols));
  return out;
}

// Round-to-nearest in the grid: every block fitted on the original weights.
GridQuantizedLinear Rtn(std::span<const float> w, int64_t rows, int64_t cols,
                        const KQuantGrid& grid, ThreadPool& pool) {
  GridQuantizedLinear out = Empty(grid, rows, cols);
  const int bs = grid.block_size();
  const int64_t block_bytes = Info(grid.type()).block_bytes,
                row_bytes = RowBytes(grid.type(), cols);
  pool.ParallelFor(rows, [&](int64_t r) {
    std::vector<uint8_t> codes(static_cast<size_t>(bs));
    for (int64_t b = 0; b < cols / bs; ++b) {
      const float* x = w.data() + r * cols + b * bs;
      float* v = out.values.data() + r * cols + b * bs;
      const KBlockParams p = grid.Fit({x, static_cast<size_t>(bs)});
      for (int e = 0; e < bs; ++e) {
        codes[static_cast<size_t>(e)] = static_cast<uint8_t>(grid.Code(x[e], p, e));
        v[e] = grid.Value(codes[static_cast<size_t>(e)], p, e);
      }
      grid.Emit(p, codes, out.data.data() + r * row_bytes + b * block_bytes);
    }
  });
  return out;
}

}  // namespace

Result<GridQuantizedLinear> QuantizeInGrid(std::span<const float> w, int64_t rows, int64_t cols,
                                           std::span<const double> h, const KQuantGrid& grid,
                                           const GptqOptions& options, ThreadPool& pool) {
  const int bs = grid.block_size();
  if (cols % bs != 0) {
    return InvalidArgument("a row of " + std::to_string(cols) + " columns does not split into " +
                           std::string(Name(grid.type())) + " blocks of " + std::to_string(bs));
  }
  if (static_cast<int64_t>(w.size()) != rows * cols) {
    return InvalidArgument("weight has " + std::to_string(w.size()) + " values, expected " +
                           std::to_string(rows * cols));
  }
  if (h.empty()) return Rtn(w, rows, cols, grid, pool);
  if (static_cast<int64_t>(h.size()) != cols * cols) {
    return InvalidArgument("Hessian has " + std::to_string(h.size()) + " entries for " +
                           std::to_string(cols) + " columns");
  }
  if (options.act_order) {
    return Unimplemented("act_order is not supported with llama.cpp's block grids");
  }

  std::vector<double> hessian(h.begin(), h.end());
  std::vector<float> wt(static_cast<size_t>(cols * rows));  // [cols, rows]: columns contiguous
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) wt[c * rows + r] = w[r * cols + c];
  }
  for (int64_t c = 0; c < cols; ++c) {  // dead inputs: any value is exact, use 0
    if (hessian[c * cols + c] == 0) {
      hessian[c * cols + c] = 1;
      std::fill_n(wt.begin() + c * rows, rows, 0.0f);
    }
  }
  // The imatrix of the block fits: the Hessian's diagonal (∝ mean x²).
  std::vector<float> importance(static_cast<size_t>(cols));
  for (int64_t c = 0; c < cols; ++c) importance[c] = static_cast<float>(hessian[c * cols + c]);

  Result<std::vector<double>> u = InverseHessianCholesky(hessian, cols, options.damp);
  for (double damp = options.damp * 10; !u.ok() && damp <= 1.0; damp *= 10) {
    u = InverseHessianCholesky(hessian, cols, damp);  // as quant/gptq.cc: more damping
  }
  if (!u.ok()) return u.status();
  const std::vector<float> uf(u->begin(), u->end());

  GridQuantizedLinear out = Empty(grid, rows, cols);
  const int64_t block_bytes = Info(grid.type()).block_bytes,
                row_bytes = RowBytes(grid.type(), cols);
  // A lazy batch holds whole blocks, or a block whole batches, so that every block starts at a
  // batch boundary or inside the current batch: its columns are up to date when it is fitted.
  int64_t batch = std::max<int64_t>(1, options.block_size);
  batch = batch >= bs ? batch / bs * bs : bs;
  std::vector<KBlockParams> params(static_cast<size_t>(rows));
  std::vector<uint8_t> codes(static_cast<size_t>(rows * bs));  // [rows, bs] of the current block
  std::vector<float> err(static_cast<size_t>(batch * rows));   // [batch, rows]
  for (int64_t i1 = 0; i1 < cols; i1 += batch) {
    const int64_t i2 = std::min(i1 + batch, cols);
    for (int64_t c = i1; c < i2; ++c) {
      const int e = static_cast<int>(c % bs);
      float* wc = wt.data() + c * rows;
      if (e == 0) {
        pool.ParallelFor(rows, [&](int64_t r) {
          float x[kQK_K];
          for (int k = 0; k < bs; ++k) x[k] = wt[(c + k) * rows + r];
          params[static_cast<size_t>(r)] = grid.Fit(
              {x, static_cast<size_t>(bs)}, {importance.data() + c, static_cast<size_t>(bs)});
        });
      }
      const float d = uf[c * cols + c];
      float* ec = err.data() + (c - i1) * rows;
      for (int64_t r = 0; r < rows; ++r) {
        const KBlockParams& p = params[static_cast<size_t>(r)];
        const int q = grid.Code(wc[r], p, e);
        const float v = grid.Value(q, p, e);
        codes[static_cast<size_t>(r * bs + e)] = static_cast<uint8_t>(q);
        out.values[r * cols + c] = v;
        ec[r] = (wc[r] - v) / d;
      }
      if (e == bs - 1) {
        const int64_t b = c / bs;
        for (int64_t r = 0; r < rows; ++r) {
          grid.Emit(params[static_cast<size_t>(r)],
                    {codes.data() + r * bs, static_cast<size_t>(bs)},
                    out.data.data() + r * row_bytes + b * block_bytes);
        }
      }
      for (int64_t j = c + 1; j < i2; ++j) {  // within the batch: W[:, j] -= err · U[c, j]
        cblas_saxpy(static_cast<int>(rows), -uf[c * cols + j], ec, 1, wt.data() + j * rows, 1);
      }
    }
    if (i2 < cols) {  // lazy batch update: W[:, i2:] -= Err · U[i1:i2, i2:]
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(cols - i2),
                  static_cast<int>(rows), static_cast<int>(i2 - i1), -1.0f,
                  uf.data() + i1 * cols + i2, static_cast<int>(cols), err.data(),
                  static_cast<int>(rows), 1.0f, wt.data() + i2 * rows, static_cast<int>(rows));
    }
  }
  return out;
}

}  // namespace lieq
