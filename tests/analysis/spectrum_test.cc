// Output spectra, Compact, E_k, Δr and ΔE_k on synthetic weights with known spectra.
#include "analysis/spectrum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/lapack.h"
#include "analysis/rank_stats.h"
#include "core/rng.h"

namespace lieq {
namespace {

// Closed-form spectra evaluated through LAPACK in double: agreement to ~1e-10 relative.
constexpr double kExactTolerance = 1e-9;
// OutputSpectrum's single-precision products and eigensolver, relative to the largest σ²
// (about n·2^-24 for these sizes, with room).
constexpr double kSinglePrecisionTolerance = 1e-5;

template <typename T = double>
std::vector<T> Identity(int64_t n, double scale = 1.0) {
  std::vector<T> m(static_cast<size_t>(n * n), T(0));
  for (int64_t i = 0; i < n; ++i) m[static_cast<size_t>(i * n + i)] = static_cast<T>(scale);
  return m;
}

// W [n, n] = diag(a).
std::vector<float> Diagonal(const std::vector<double>& a) {
  const auto n = static_cast<int64_t>(a.size());
  std::vector<float> m(static_cast<size_t>(n * n), 0.0f);
  for (int64_t i = 0; i < n; ++i)
    m[static_cast<size_t>(i * n + i)] = static_cast<float>(a[static_cast<size_t>(i)]);
  return m;
}

TEST(SpectrumTest, CompactAndEnergyOfKnownSpectra) {
  constexpr int64_t kN = 16;
  const GramF32 isotropic_inputs =  // C = I: σ² = eig(W·Wᵀ)
      Gram::FromMatrix(Identity(kN), kN).ToF32(/*with_factor=*/false);
  SpectrumScratch scratch;
  // Low-rank-dominated: rank 2 (σ = 3, 3). Isotropic: σ = 1 everywhere.
  std::vector<double> low(kN, 0.0);
  low[0] = low[1] = 3.0;
  const std::vector<float> w_low = Diagonal(low);
  const std::vector<float> w_iso = Identity<float>(kN, 0.5);
  const std::vector<double> s_low = OutputSpectrum(w_low.data(), kN, isotropic_inputs, scratch);
  const std::vector<double> s_iso = OutputSpectrum(w_iso.data(), kN, isotropic_inputs, scratch);
  constexpr double kTol = kSinglePrecisionTolerance;
  EXPECT_NEAR(s_low[0], 9.0, kTol * 9);
  EXPECT_NEAR(Compactness(s_low), 2.0, kTol * 2);    // exp(log 2)
  EXPECT_NEAR(Compactness(s_iso), 16.0, kTol * 16);  // exp(log 16), scale-free
  EXPECT_NEAR(TopKEnergy(s_low, 2), 1.0, kTol);
  EXPECT_NEAR(TopKEnergy(s_iso, 2), 2.0 / 16, kTol);

  // Trained-like (low rank) against an isotropic twin: Δr = (16 − 2) / 16, ΔE_2 = 1 − 1/8.
  EXPECT_NEAR(CompactnessGain(Compactness(s_low), Compactness(s_iso)), 0.875, kTol);
  EXPECT_NEAR(TopKEnergy(s_low, 2) - TopKEnergy(s_iso, 2), 0.875, kTol);
  // The other way round both are negative: Δr = (2 − 16) / 2.
  EXPECT_NEAR(CompactnessGain(Compactness(s_iso), Compactness(s_low)), -7.0, kTol * 7);
  EXPECT_LT(TopKEnergy(s_iso, 2) - TopKEnergy(s_low, 2), 0);
}

TEST(SpectrumTest, EntropyOfAGeometricSpectrum) {
  // p ∝ (1, 1/2, 1/4, 1/8): Compact = exp(H) computed by hand.
  const std::vector<double> s = {8, 4, 2, 1};
  double h = 0;
  for (double x : s) h -= x / 15 * std::log(x / 15);
  EXPECT_NEAR(Compactness(s), std::exp(h), kExactTolerance);
  EXPECT_NEAR(TopKEnergy(s, 1), 8.0 / 15, kExactTolerance);
  EXPECT_NEAR(TopKEnergy(s, 10), 1.0, kExactTolerance);
}

// Both formulations (W·C·Wᵀ for rows ≤ in, BᵀB with B = W·F for rows > in) against the
// eigenvalues of ZᵀZ built from explicit Z = H·Wᵀ.
TEST(SpectrumTest, GramRoutesMatchExplicitOutputs) {
  constexpr int64_t kTokens = 200, kIn = 12;
  Rng rng(7);
  std::vector<float> h(static_cast<size_t>(kTokens * kIn));
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<float>(rng.Normal() * (1 + i % kIn));
  Gram gram(kIn);
  gram.Add(h.data(), 120);  // in two batches
  gram.Add(h.data() + 120 * kIn, kTokens - 120);
  EXPECT_EQ(gram.tokens(), kTokens);
  const GramF32 gram_f32 = gram.ToF32(/*with_factor=*/true);
  SpectrumScratch scratch;
  for (int64_t rows : {5, 12, 30}) {
    std::vector<float> w(static_cast<size_t>(rows * kIn));
    for (float& x : w) x = static_cast<float>(rng.Normal());
    // Z [T, rows] and ZᵀZ [rows, rows] directly.
    std::vector<double> ztz(static_cast<size_t>(rows * rows), 0.0);
    for (int64_t t = 0; t < kTokens; ++t) {
      std::vector<double> z(static_cast<size_t>(rows), 0.0);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t i = 0; i < kIn; ++i) {
          z[static_cast<size_t>(r)] += static_cast<double>(w[static_cast<size_t>(r * kIn + i)]) *
                                       h[static_cast<size_t>(t * kIn + i)];
        }
      }
      for (int64_t a = 0; a < rows; ++a) {
        for (int64_t b = 0; b < rows; ++b)
          ztz[static_cast<size_t>(a * rows + b)] +=
              z[static_cast<size_t>(a)] * z[static_cast<size_t>(b)];
      }
    }
    std::vector<double> expected;
    ASSERT_TRUE(SymmetricEigenvalues(ztz, rows, expected));
    std::sort(expected.rbegin(), expected.rend());
    const std::vector<double> got = OutputSpectrum(w.data(), rows, gram_f32, scratch);
    ASSERT_EQ(got.size(), static_cast<size_t>(std::min(rows, kIn)));
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_NEAR(got[k], expected[k], kSinglePrecisionTolerance * expected[0]) << rows << " " << k;
    }
  }
}

TEST(SpectrumTest, SubBlockIsTheHeadSlice) {
  std::vector<double> m(16);
  for (int i = 0; i < 16; ++i) m[static_cast<size_t>(i)] = i;
  Gram g = Gram::FromMatrix(m, 4);
  Gram sub = g.SubBlock(2, 2);
  EXPECT_EQ(sub.matrix(), (std::vector<double>{10, 11, 14, 15}));
}

TEST(RankStatsTest, SpearmanWithTiesAndSigns) {
  const std::vector<double> a = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(SpearmanRho(a, std::vector<double>{10, 20, 30, 40, 50}), 1.0);
  EXPECT_DOUBLE_EQ(SpearmanRho(a, std::vector<double>{5, 4, 3, 2, 1}), -1.0);
  EXPECT_EQ(AverageRanks(std::vector<double>{3, 1, 3, 2}), (std::vector<double>{3.5, 1, 3.5, 2}));
  EXPECT_TRUE(std::isnan(SpearmanRho(a, std::vector<double>{1, 1, 1, 1, 1})));
  EXPECT_EQ(MinMaxNormalize(std::vector<double>{2, 4, 3}), (std::vector<double>{0, 1, 0.5}));
}

}  // namespace
}  // namespace lieq
