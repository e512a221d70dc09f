#include "analysis/lapack.h"

#include <cassert>
#include <cstddef>

extern "C" {
// LAPACK's divide-and-conquer symmetric eigensolver (Fortran ABI, with the hidden lengths of
// the two character arguments).
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info,
             size_t jobz_len, size_t uplo_len);
}

namespace lieq {
namespace {

bool Syevd(char jobz, std::vector<double>& a, int64_t n, std::vector<double>& values) {
  assert(static_cast<int64_t>(a.size()) == n * n);
  values.assign(static_cast<size_t>(n), 0.0);
  if (n == 0) return true;
  const int ni = static_cast<int>(n);
  int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  // Row-major symmetric = column-major symmetric; 'U' of one is 'L' of the other, either works.
  dsyevd_(&jobz, "L", &ni, a.data(), &ni, values.data(), &work_query, &lwork, &iwork_query, &liwork,
          &info, 1, 1);
  if (info != 0) return false;
  lwork = static_cast<int>(work_query);
  liwork = iwork_query;
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  dsyevd_(&jobz, "L", &ni, a.data(), &ni, values.data(), work.data(), &lwork, iwork.data(), &liwork,
          &info, 1, 1);
  return info == 0;
}

}  // namespace

bool SymmetricEigenvalues(std::vector<double>& a, int64_t n, std::vector<double>& values) {
  return Syevd('N', a, n, values);
}

bool SymmetricEigensystem(std::vector<double>& a, int64_t n, std::vector<double>& values) {
  if (!Syevd('V', a, n, values)) return false;
  // LAPACK wrote eigenvectors as columns of a column-major matrix, i.e. rows of our row-major
  // one: transpose so that column j is eigenvector j.
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j)
      std::swap(a[static_cast<size_t>(i * n + j)], a[static_cast<size_t>(j * n + i)]);
  }
  return true;
}

}  // namespace lieq
