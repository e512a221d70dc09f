// The LAPACK routines the analysis needs, from OpenBLAS (which ships LAPACK but no
// LAPACKE header on Debian), wrapped with Status-free, assert-checked C++ signatures.
#pragma once

#include <cstdint>
#include <vector>

namespace lieq {

// Eigenvalues of the symmetric matrix a [n, n] (row-major; only symmetry is assumed),
// ascending. `a` is destroyed. Returns false when LAPACK fails to converge.
bool SymmetricEigenvalues(std::vector<double>& a, int64_t n, std::vector<double>& values);
// The same in single precision (LAPACK's ssyevd): half the memory traffic of the
// tridiagonalisation, which dominates for n in the thousands.
bool SymmetricEigenvalues(std::vector<float>& a, int64_t n, std::vector<float>& values);

// Eigenvalues (ascending) and eigenvectors: on return column j of a (row-major [n, n]) holds
// the eigenvector of values[j].
bool SymmetricEigensystem(std::vector<double>& a, int64_t n, std::vector<double>& values);

}  // namespace lieq
