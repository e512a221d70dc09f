// Reconstruction error of each back-end on synthetic weights and activations.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/half.h"
#include "core/rng.h"
#include "quant/awq.h"
#include "quant/gptq.h"
#include "quant/hessian.h"
#include "quant/pack.h"
#include "quant/quant_grid.h"
#include "quant/rtn.h"

namespace lieq {
namespace {

std::vector<float> Gaussian(int64_t n, uint64_t seed, double sigma = 1.0) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(sigma * rng.Normal());
  return v;
}

// x [n, in] with strongly correlated channels: x = z·A + 0.1·noise, z [n, k], A [k, in].
std::vector<float> CorrelatedInputs(int64_t n, int64_t in, int64_t k, uint64_t seed) {
  const std::vector<float> z = Gaussian(n * k, seed), a = Gaussian(k * in, seed + 1),
                           noise = Gaussian(n * in, seed + 2, 0.1);
  std::vector<float> x(static_cast<size_t>(n * in));
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t c = 0; c < in; ++c) {
      double s = noise[t * in + c];
      for (int64_t j = 0; j < k; ++j) s += z[t * k + j] * a[j * in + c];
      x[t * in + c] = static_cast<float>(s);
    }
  }
  return x;
}

std::vector<double> HessianOf(const std::vector<float>& x, int64_t n, int64_t in) {
  HessianAccumulator acc(in);
  acc.Add(x.data(), n);
  return acc.Hessian();
}

// ‖X·(W − Ŵ)ᵀ‖² / ‖X·Wᵀ‖², from H = 2XᵀX/N.
double RelativeOutputError(const std::vector<float>& w, const std::vector<float>& wq, int64_t rows,
                           int64_t in, const std::vector<double>& h) {
  double err = 0, ref = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < in; ++i) {
      const double di = w[r * in + i] - wq[r * in + i];
      for (int64_t j = 0; j < in; ++j) {
        err += di * h[i * in + j] * (w[r * in + j] - wq[r * in + j]);
        ref += w[r * in + i] * h[i * in + j] * w[r * in + j];
      }
    }
  }
  return err / ref;
}

float F16Scale(const PackedLinear& q, int64_t r, int64_t c) {
  return F16ToF32(q.scales[r * (q.cols / q.group_size) + c / q.group_size]);
}

double RelativeWeightError(const std::vector<float>& w, const std::vector<float>& wq) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    err += (w[i] - wq[i]) * (w[i] - wq[i]);
    ref += w[i] * w[i];
  }
  return err / ref;
}

TEST(IntGridTest, ZeroIsExactAndCodesStayInRange) {
  const IntGrid grid(3);
  const std::vector<float> w = {-0.7f, -0.1f, 0.0f, 0.25f, 1.3f};
  const GroupParams p = grid.Fit(w);
  EXPECT_EQ(p.zero, std::nearbyint(p.zero));
  EXPECT_EQ(grid.QuantizeDequantize(0.0f, p), 0.0f);
  for (float x : {-100.0f, 100.0f}) {
    EXPECT_GE(grid.Code(x, p), 0);
    EXPECT_LE(grid.Code(x, p), 7);
  }
}

TEST(RtnTest, ErrorWithinUniformQuantizationBounds) {
  constexpr int64_t kRows = 64, kCols = 512;
  // Relative MSE of min–max rounding of Gaussian groups of 128 (range ≈ ±2.6σ, MSE ≈ Δ²/12),
  // with ~30% slack for the spread of group ranges.
  const std::pair<int, double> kBounds[] = {{2, 0.25}, {3, 0.05}, {4, 0.012}, {8, 5e-5}};
  const std::vector<float> w = Gaussian(kRows * kCols, 7);
  for (const auto& [bits, bound] : kBounds) {
    const PackedLinear q = RtnQuantize(w, kRows, kCols, bits, 128, ClipOptions{});
    const std::vector<float> wq = DequantizeLinear(q);
    EXPECT_LT(RelativeWeightError(w, wq), bound) << bits << " bits";
    // The integer zero shifts the grid by up to half a step, so the range ends may be one step
    // from their grid point; FP16 rounding of the scale adds a fraction of a step more.
    constexpr float kMaxStepsOff = 1.01f;
    for (int64_t r = 0; r < kRows; ++r) {
      for (int64_t c = 0; c < kCols; ++c) {
        const float scale = F16Scale(q, r, c);
        EXPECT_LE(std::fabs(w[r * kCols + c] - wq[r * kCols + c]), kMaxStepsOff * scale);
      }
    }
  }
}

TEST(RtnTest, ClipSearchNeverIncreasesWeightError) {
  const std::vector<float> w = Gaussian(32 * 256, 11);
  for (int bits : {2, 3, 4}) {
    ClipOptions clip;
    clip.search = true;
    const double plain =
        RelativeWeightError(w, DequantizeLinear(RtnQuantize(w, 32, 256, bits, 128, {})));
    const double clipped =
        RelativeWeightError(w, DequantizeLinear(RtnQuantize(w, 32, 256, bits, 128, clip)));
    EXPECT_LE(clipped, plain) << bits << " bits";
  }
}

TEST(HessianTest, EqualsTwiceGramOverSamples) {
  constexpr int64_t kN = 300, kIn = 16;
  constexpr double kTolerance = 1e-4;  // float products summed per call
  const std::vector<float> x = Gaussian(kN * kIn, 3);
  HessianAccumulator acc(kIn);
  acc.Add(x.data(), 100);
  acc.Add(x.data() + 100 * kIn, 200);
  const std::vector<double> h = acc.Hessian();
  for (int64_t i = 0; i < kIn; ++i) {
    for (int64_t j = 0; j < kIn; ++j) {
      double s = 0;
      for (int64_t t = 0; t < kN; ++t) s += static_cast<double>(x[t * kIn + i]) * x[t * kIn + j];
      EXPECT_NEAR(h[i * kIn + j], 2 * s / kN, kTolerance);
    }
  }
}

// The calibrator runs XᵀX on every core; quantization results must not depend on the thread
// count, so neither may the Gram matrix.
TEST(HessianTest, SameBitsForEveryBlasThreadCount) {
  constexpr int64_t kN = 700, kIn = 520;
  const std::vector<float> x = Gaussian(kN * kIn, 4);
  std::vector<double> first;
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    HessianAccumulator acc(kIn);
    acc.Add(x.data(), kN, threads > 1 ? &pool : nullptr);
    const std::vector<double> h = acc.Hessian();
    if (first.empty()) first = h;
    EXPECT_EQ(h, first) << threads << " threads";
    EXPECT_EQ(acc.TakeHessian(), h);  // in place: the same values
  }
}

TEST(GptqTest, InverseCholeskyFactorReproducesTheDampedInverse) {
  constexpr int64_t kIn = 24;
  constexpr double kTolerance = 1e-9;  // double-precision LAPACK on a well-conditioned matrix
  const std::vector<float> x = CorrelatedInputs(200, kIn, 4, 5);
  std::vector<double> h = HessianOf(x, 200, kIn);
  const auto u = InverseHessianCholesky(h, kIn, 0.01);
  ASSERT_TRUE(u.ok()) << u.status().message();
  double mean = 0;
  for (int64_t i = 0; i < kIn; ++i) mean += h[i * kIn + i] / kIn;
  for (int64_t i = 0; i < kIn; ++i) h[i * kIn + i] += 0.01 * mean;
  // (UᵀU)·H_damped = I
  for (int64_t i = 0; i < kIn; ++i) {
    for (int64_t j = 0; j < kIn; ++j) {
      double s = 0;
      for (int64_t k = 0; k < kIn; ++k) {
        double inv_ik = 0;
        for (int64_t m = 0; m < kIn; ++m) inv_ik += (*u)[m * kIn + i] * (*u)[m * kIn + k];
        s += inv_ik * h[k * kIn + j];
      }
      EXPECT_NEAR(s, i == j ? 1.0 : 0.0, kTolerance);
    }
  }
}

TEST(GptqTest, WithoutCorrelationsItIsRoundToNearest) {
  // H = I: the inverse Hessian has no off-diagonal terms, so no error is fed back.
  constexpr int64_t kRows = 16, kCols = 256;
  const std::vector<float> w = Gaussian(kRows * kCols, 9);
  std::vector<double> h(kCols * kCols, 0.0);
  for (int64_t i = 0; i < kCols; ++i) h[i * kCols + i] = 1.0;
  const auto g = GptqQuantize(w, kRows, kCols, h, IntGrid(3), 128, GptqOptions{});
  ASSERT_TRUE(g.ok());
  const PackedLinear r = RtnQuantize(w, kRows, kCols, 3, 128, {});
  EXPECT_EQ(g->codes, r.codes);
  EXPECT_EQ(g->scales, r.scales);
  EXPECT_EQ(g->zeros, r.zeros);
}

TEST(GptqTest, OutputErrorBelowRtnOnCorrelatedInputs) {
  constexpr int64_t kN = 2048, kIn = 256, kRows = 64;
  const std::vector<float> x = CorrelatedInputs(kN, kIn, 16, 21);
  const std::vector<double> h = HessianOf(x, kN, kIn);
  const std::vector<float> w = Gaussian(kRows * kIn, 22);
  // GPTQ's point: it should remove a clear share of RTN's output error when inputs correlate.
  constexpr double kMaxRatioToRtn = 0.8;
  for (int bits : {2, 3, 4}) {
    for (bool act_order : {false, true}) {
      GptqOptions options;
      options.act_order = act_order;
      const auto g = GptqQuantize(w, kRows, kIn, h, IntGrid(bits), 128, options);
      ASSERT_TRUE(g.ok());
      const double gptq = RelativeOutputError(w, DequantizeLinear(*g), kRows, kIn, h);
      const double rtn = RelativeOutputError(
          w, DequantizeLinear(RtnQuantize(w, kRows, kIn, bits, 128, {})), kRows, kIn, h);
      EXPECT_LT(gptq, kMaxRatioToRtn * rtn) << bits << " bits, act_order " << act_order;
    }
  }
}

TEST(GptqTest, DeadInputsAreZeroedNotFatal) {
  constexpr int64_t kRows = 8, kCols = 128;
  std::vector<double> h(kCols * kCols, 0.0);
  for (int64_t i = 0; i < kCols; i += 2) h[i * kCols + i] = 1.0;  // odd inputs never seen
  const std::vector<float> w = Gaussian(kRows * kCols, 4);
  const auto g = GptqQuantize(w, kRows, kCols, h, IntGrid(4), 128, GptqOptions{});
  ASSERT_TRUE(g.ok()) << g.status().message();
  const std::vector<float> wq = DequantizeLinear(*g);
  for (int64_t r = 0; r < kRows; ++r) EXPECT_EQ(wq[r * kCols + 1], 0.0f);
}

TEST(AwqTest, ProtectsSalientChannels) {
  constexpr int64_t kN = 1024, kIn = 256, kRows = 128;
  // A few channels with 20× larger activations, as in LLMs' outlier features.
  std::vector<float> x = Gaussian(kN * kIn, 31);
  for (int64_t t = 0; t < kN; ++t) {
    for (int64_t c = 0; c < kIn; c += 37) x[t * kIn + c] *= 20.0f;
  }
  HessianAccumulator acc(kIn);
  acc.Add(x.data(), kN);
  const std::vector<double> h = acc.Hessian();
  const std::vector<float> w = Gaussian(kRows * kIn, 32);
  const AwqLayer layer{w, kRows};
  // Scaling should remove a clear share of RTN's output error at 3 bits.
  constexpr double kMaxRatioToRtn = 0.9;
  const AwqScales s = SearchAwqScales({&layer, 1}, kIn, h, acc.MeanAbs(), 3, 128, AwqOptions{});
  EXPECT_GT(s.alpha, 0.0);
  EXPECT_LT(s.error, kMaxRatioToRtn * s.error_rtn);
  // The searched error is what scaling, quantizing and unscaling actually gives.
  std::vector<float> scaled = w;
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t c = 0; c < kIn; ++c) scaled[r * kIn + c] *= s.s[c];
  }
  std::vector<float> wq = DequantizeLinear(RtnQuantize(scaled, kRows, kIn, 3, 128, {}));
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t c = 0; c < kIn; ++c) wq[r * kIn + c] /= s.s[c];
  }
  constexpr double kTolerance = 1e-3;  // float sgemm vs double sums
  double ref = 0;
  for (int64_t i = 0; i < kIn; ++i) {
    for (int64_t j = 0; j < kIn; ++j) {
      for (int64_t r = 0; r < kRows; ++r) ref += w[r * kIn + i] * h[i * kIn + j] * w[r * kIn + j];
    }
  }
  EXPECT_NEAR(RelativeOutputError(w, wq, kRows, kIn, h), s.error / ref, kTolerance);
}

}  // namespace
}  // namespace lieq
