#include "analysis/spectrum.h"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cmath>

#include "analysis/lapack.h"

namespace lieq {
namespace {

// Eigenvalues of the symmetric m [n, n] (lower triangle read), descending, clamped at 0.
std::vector<double> SortedEigenvalues(std::vector<float>& m, int64_t n,
                                      std::vector<float>& values) {
  const bool ok = SymmetricEigenvalues(m, n, values);
  assert(ok && "ssyevd failed on a Gram matrix");
  (void)ok;
  std::vector<double> out(values.rbegin(), values.rend());
  for (double& v : out) v = std::max(v, 0.0);
  return out;
}

}  // namespace

std::vector<double> OutputSpectrum(const float* w, int64_t rows, const GramF32& gram,
                                   SpectrumScratch& scratch) {
  const int64_t in = gram.dim;
  const int r = static_cast<int>(rows), k = static_cast<int>(in);
  std::vector<float>& p = scratch.product;
  std::vector<float>& m = scratch.matrix;
  p.resize(static_cast<size_t>(rows * in));
  int64_t n = 0;
  if (rows <= in) {
    // T = W·C [rows, in];  M = T·Wᵀ [rows, rows] (C holds both triangles: a plain sgemm)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, k, k, 1.0f, w, k, gram.c.data(), k,
                0.0f, p.data(), k);
    m.resize(static_cast<size_t>(rows * rows));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, r, k, 1.0f, p.data(), k, w, k, 0.0f,
                m.data(), r);
    n = rows;
  } else {
    // B = W·F [rows, in];  M = BᵀB [in, in] (lower triangle)
    assert(static_cast<int64_t>(gram.factor.size()) == in * in && "rows > in needs the factor");
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, k, k, 1.0f, w, k, gram.factor.data(),
                k, 0.0f, p.data(), k);
    m.resize(static_cast<size_t>(in * in));
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, k, r, 1.0f, p.data(), k, 0.0f, m.data(), k);
    n = in;
  }
  // The solver reads one triangle; fill the other so the matrix is plainly symmetric either way.
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      m[static_cast<size_t>(i * n + j)] = m[static_cast<size_t>(j * n + i)];
    }
  }
  return SortedEigenvalues(m, n, scratch.values);
}

std::vector<double> InputSpectrum(const GramF32& gram, SpectrumScratch& scratch) {
  scratch.matrix = gram.c;
  return SortedEigenvalues(scratch.matrix, gram.dim, scratch.values);
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
