#include "analysis/spectrum.h"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>

#include "analysis/lapack.h"

namespace lieq {

std::vector<double> OutputSpectrum(const double* w, int64_t rows, Gram& gram) {
  const int64_t in = gram.dim();
  const int r = static_cast<int>(rows), k = static_cast<int>(in);
  std::vector<double> m;  // the symmetric matrix whose eigenvalues are σ²
  int64_t n = 0;
  if (rows <= in) {
    // T = W·C [rows, in];  M = T·Wᵀ [rows, rows]
    const std::vector<double>& c = gram.matrix();
    std::vector<double> t(static_cast<size_t>(rows * in));
    cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, r, k, 1.0, c.data(), k, w, k, 0.0, t.data(),
                k);
    m.assign(static_cast<size_t>(rows * rows), 0.0);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, r, k, 1.0, t.data(), k, w, k, 0.0,
                m.data(), r);
    n = rows;
  } else {
    // B = W·F [rows, in];  M = BᵀB [in, in]
    const std::vector<double>& f = gram.Factor();
    std::vector<double> b(static_cast<size_t>(rows * in));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, k, k, 1.0, w, k, f.data(), k, 0.0,
                b.data(), k);
    m.assign(static_cast<size_t>(in * in), 0.0);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, k, r, 1.0, b.data(), k, 0.0, m.data(), k);
    n = in;
  }
  // dsyevd reads one triangle; fill the other so the matrix is plainly symmetric either way.
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      m[static_cast<size_t>(i * n + j)] = m[static_cast<size_t>(j * n + i)];
    }
  }
  std::vector<double> values;
  const bool ok = SymmetricEigenvalues(m, n, values);
  assert(ok && "dsyevd failed on an output Gram matrix");
  (void)ok;
  for (double& v : values) v = std::max(v, 0.0);
  std::sort(values.begin(), values.end(), std::greater<>());
  return values;
}

double Compactness(std::span<const double> sigma2) {
  double total = 0;
  for (double s : sigma2) total += s;
  if (total <= 0) return 0;
  double entropy = 0;
  for (double s : sigma2) {
    const double p = s / total;
    if (p > 0) entropy -= p * std::log(p);
  }
  return std::exp(entropy);
}

double TopKEnergy(std::span<const double> sigma2, int64_t k) {
  double total = 0, top = 0;
  for (size_t i = 0; i < sigma2.size(); ++i) {
    total += sigma2[i];
    if (static_cast<int64_t>(i) < k) top += sigma2[i];
  }
  return total > 0 ? top / total : 0;
}

}  // namespace lieq
