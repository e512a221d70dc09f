#include "analysis/lapack.h"

#include <cassert>
#include <cstddef>

extern "C" {
// LAPACK's divide-and-conquer symmetric eigensolver (Fortran ABI, with the hidden lengths of
// the two character arguments).
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info,
             size_t jobz_len, size_t uplo_len);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info,
             size_t jobz_len, size_t uplo_len);
}

namespace lieq {
namespace {

void Syevd(const char* jobz, const int* n, double* a, double* w, double* work, const int* lwork,
           int* iwork, const int* liwork, int* info) {
  dsyevd_(jobz, "L", n, a, n, w, work, lwork, iwork, liwork, info, 1, 1);
}
void Syevd(const char* jobz, const int* n, float* a, float* w, float* work, const int* lwork,
           int* iwork, const int* liwork, int* info) {
  ssyevd_(jobz, "L", n, a, n, w, work, lwork, iwork, liwork, info, 1, 1);
}

template <typename T>
bool Syevd(char jobz, std::vector<T>& a, int64_t n, std::vector<T>& values) {
  assert(static_cast<int64_t>(a.size()) == n * n);
  values.assign(static_cast<size_t>(n), 0.0);
  if (n == 0) return true;
  const int ni = static_cast<int>(n);
  int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  T work_query = 0;
  // Row-major symmetric = column-major symmetric; 'U' of one is 'L' of the other, either works.
  Syevd(&jobz, &ni, a.data(), values.data(), &work_query, &lwork, &iwork_query, &liwork, &info);
  if (info != 0) return false;
  lwork = static_cast<int>(work_query);
  liwork = iwork_query;
  std::vector<T> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  Syevd(&jobz, &ni, a.data(), values.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  return info == 0;
}

}  // namespace

bool SymmetricEigenvalues(std::vector<double>& a, int64_t n, std::vector<double>& values) {
  return Syevd('N', a, n, values);
}

bool SymmetricEigenvalues(std::vector<float>& a, int64_t n, std::vector<float>& values) {
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
