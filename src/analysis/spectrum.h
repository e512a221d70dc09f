// Output spectra of a linear layer and the two LieQ statistics computed from them.
//
// For inputs H [N, in] (one row per calibration token) and a weight W [rows, in], the outputs
// are Z = H·Wᵀ [N, rows]. Its squared singular values σ_k² are the eigenvalues of
// ZᵀZ = W·C·Wᵀ with C = HᵀH the input Gram, so N never enters the cost.
//
// The products and the eigenvalue solver run in single precision (half the time and memory
// traffic of double, which made `lieq diagnose` twice as slow). The error that adds to each p_k
// is about n·2^-24 of the largest; Compact and E_k change in the 5th digit, far below the
// differences between blocks (docs/DIAGNOSTICS.md, "Precision").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "analysis/gram.h"

namespace lieq {

// Buffers one thread reuses from spectrum to spectrum (fresh ones cost page faults).
struct SpectrumScratch {
  std::vector<float> product;  // W·C or W·F
  std::vector<float> matrix;   // the symmetric matrix whose eigenvalues are σ²
  std::vector<float> values;
};

// σ_k² of Z = H·Wᵀ, descending, clamped at 0 (min(rows, in) values).
// W [rows, in] row-major with in == gram.dim. Uses W·C·Wᵀ [rows, rows] when rows ≤ in, else
// BᵀB [in, in] with B = W·F, F·Fᵀ = C (the same non-zero eigenvalues, smaller problem; needs
// gram.factor).
std::vector<double> OutputSpectrum(const float* w, int64_t rows, const GramF32& gram,
                                   SpectrumScratch& scratch);

// C's own eigenvalues (the inputs' σ²), descending, clamped at 0.
std::vector<double> InputSpectrum(const GramF32& gram, SpectrumScratch& scratch);

// p_k = σ_k² / Σ_j σ_j²;  Compact(Z) = exp(−Σ_k p_k log p_k), the effective rank: 1 for a
// rank-one Z, min(rows, in) for a flat spectrum. Scale-invariant. 0 for an all-zero spectrum.
double Compactness(std::span<const double> sigma2);

// E_k(Z) = Σ_{i<k} σ_i² / Σ_j σ_j² for σ² sorted descending (1 when k ≥ the count).
double TopKEnergy(std::span<const double> sigma2, int64_t k);

// Δr = (Compact(Z̃) − Compact(Z)) / Compact(Z̃): how much more compact the trained layer's
// outputs are than a random layer's on the same inputs (0 when equal, → 1 when Z collapses).
inline double CompactnessGain(double compact, double compact_twin) {
  return compact_twin > 0 ? (compact_twin - compact) / compact_twin : 0.0;
}

}  // namespace lieq
