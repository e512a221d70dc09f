#include "quant/gptq.h"

#include <cblas.h>
#include <f77blas.h>

#include <algorithm>
#include <numeric>
#include <string>

#include "quant/pack.h"

namespace lieq {

Result<std::vector<double>> InverseHessianCholesky(std::vector<double> h, int64_t n, double damp) {
  double mean_diag = 0;
  for (int64_t i = 0; i < n; ++i) mean_diag += h[i * n + i];
  mean_diag /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) h[i * n + i] += damp * mean_diag;

  // A symmetric row-major matrix is the same array in column-major order (LAPACK's).
  blasint size = static_cast<blasint>(n), info = 0;
  char lower = 'L', upper = 'U';
  BLASFUNC(dpotrf)(&lower, &size, h.data(), &size, &info);  // H = L·Lᵀ
  if (info != 0) {
    return InvalidArgument("the damped Hessian is not positive definite (leading minor " +
                           std::to_string(info) + " of " + std::to_string(n) + ")");
  }
  BLASFUNC(dpotri)(&lower, &size, h.data(), &size, &info);  // H⁻¹, lower triangle
  if (info != 0) return InvalidArgument("the damped Hessian is singular");
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = j + 1; i < n; ++i) h[i * n + j] = h[j * n + i];  // mirror (col-major view)
  }
  BLASFUNC(dpotrf)(&upper, &size, h.data(), &size, &info);  // H⁻¹ = Uᵀ·U
  if (info != 0) return InvalidArgument("the inverse Hessian is not positive definite");
  // Row-major U in place: U(i, j) for j ≥ i sits at h[i + j·n] (column-major); transpose and
  // clear the strict lower triangle (no second n × n matrix: 75 MB at n = 3072).
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      h[i * n + j] = h[j * n + i];
      h[j * n + i] = 0.0;
    }
  }
  return h;
}

Result<PackedLinear> GptqQuantize(std::span<const float> w, int64_t rows, int64_t cols,
                                  std::span<const double> h, const QuantGrid& grid, int group_size,
                                  const GptqOptions& options) {
  const int64_t groups = cols / group_size;
  std::vector<double> hessian(h.begin(), h.end());  // [cols, cols]

  // Column-major working copy: wt [cols, rows], so that one column is contiguous.
  std::vector<float> wt(static_cast<size_t>(cols * rows));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) wt[c * rows + r] = w[r * cols + c];
  }
  for (int64_t c = 0; c < cols; ++c) {  // dead inputs: any value is exact, use 0
    if (hessian[c * cols + c] == 0) {
      hessian[c * cols + c] = 1;
      std::fill_n(wt.begin() + c * rows, rows, 0.0f);
    }
  }

  std::vector<GroupParams> params(static_cast<size_t>(rows * groups));  // [rows, groups]
  std::vector<float> group_values(static_cast<size_t>(group_size));
  // Fits the parameters of group gi of every row from wt columns [first, first + g).
  auto fit_groups = [&](int64_t gi, const float* first_column) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = 0; k < group_size; ++k) group_values[k] = first_column[k * rows + r];
      params[r * groups + gi] = grid.Fit(group_values);
    }
  };

  // perm[i]: the original column processed i-th.
  std::vector<int64_t> perm(static_cast<size_t>(cols));
  std::iota(perm.begin(), perm.end(), 0);
  if (options.act_order) {
    for (int64_t gi = 0; gi < groups; ++gi) fit_groups(gi, wt.data() + gi * group_size * rows);
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      return hessian[a * cols + a] > hessian[b * cols + b];
    });
    std::vector<double> hp(hessian.size());
    std::vector<float> wp(wt.size());
    for (int64_t i = 0; i < cols; ++i) {
      for (int64_t j = 0; j < cols; ++j) hp[i * cols + j] = hessian[perm[i] * cols + perm[j]];
      std::copy_n(wt.begin() + perm[i] * rows, rows, wp.begin() + i * rows);
    }
    hessian.swap(hp);
    wt.swap(wp);
  }

  Result<std::vector<double>> u = InverseHessianCholesky(hessian, cols, options.damp);
  for (double damp = options.damp * 10; !u.ok() && damp <= 1.0; damp *= 10) {
    u = InverseHessianCholesky(hessian, cols, damp);  // as AutoGPTQ: retry with more damping
  }
  if (!u.ok()) return u.status();
  const std::vector<float> uf(u->begin(), u->end());  // [cols, cols] upper, for sgemm
  *u = {};                                            // the solver reads uf only
  hessian = {};

  std::vector<uint8_t> codes(static_cast<size_t>(rows * cols));  // [rows, cols]
  const int64_t block = std::max<int64_t>(1, options.block_size);
  std::vector<float> err(static_cast<size_t>(block * rows));  // [block, rows]
  for (int64_t i1 = 0; i1 < cols; i1 += block) {
    const int64_t i2 = std::min(i1 + block, cols);
    for (int64_t i = i1; i < i2; ++i) {
      const int64_t c = perm[i];
      const int64_t gi = c / group_size;
      float* wi = wt.data() + i * rows;
      if (!options.act_order && c % group_size == 0) fit_groups(gi, wi);
      const float d = uf[i * cols + i];
      float* e = err.data() + (i - i1) * rows;
      for (int64_t r = 0; r < rows; ++r) {
        const GroupParams& p = params[r * groups + gi];
        const int q = grid.Code(wi[r], p);
        codes[r * cols + c] = static_cast<uint8_t>(q);
        e[r] = (wi[r] - grid.Value(q, p)) / d;
      }
      // Within the batch: W[:, j] -= err · U[i, j] for the columns j after i.
      for (int64_t j = i + 1; j < i2; ++j) {
        cblas_saxpy(static_cast<int>(rows), -uf[i * cols + j], e, 1, wt.data() + j * rows, 1);
      }
    }
    // Lazy batch update of every later column: W[:, i2:] -= Err · U[i1:i2, i2:].
    if (i2 < cols) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(cols - i2),
                  static_cast<int>(rows), static_cast<int>(i2 - i1), -1.0f,
                  uf.data() + i1 * cols + i2, static_cast<int>(cols), err.data(),
                  static_cast<int>(rows), 1.0f, wt.data() + i2 * rows, static_cast<int>(rows));
    }
  }
  return PackLinear(grid.bits(), group_size, rows, cols, codes, params);
}

}  // namespace lieq
