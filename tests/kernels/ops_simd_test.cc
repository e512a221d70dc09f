// SoftmaxInPlace and SiluMul (Highway Exp, kernels/ops_simd.cc) against their scalar references
// (libm expf, softmax summed in double), on every SIMD target this machine supports and the
// build generated, at lengths with and without a partial last vector and with extreme inputs.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "core/rng.h"
#include "hwy/targets.h"
#include "kernels/ops.h"
#include "simd_target_test.h"

namespace lieq {
namespace {

// Highway's Exp is within a few ulp of expf. A softmax entry also carries the float sum of n
// terms, at most (n − 1)·2⁻²⁴ off relative (recursive summation; one lane on the SCALAR target),
// added per length below.
constexpr double kSoftmaxRelTolerance = 2e-6;
constexpr double kSiluRelTolerance = 2e-6;

class OpsSimdTest : public SimdTargetTest {};

std::vector<float> Scores(int64_t n, double scale, Rng& rng) {
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = static_cast<float>(rng.Normal() * scale);
  return x;
}

TEST_P(OpsSimdTest, SoftmaxMatchesTheReference) {
  Rng rng(7);
  for (int64_t n : {1, 3, 15, 16, 17, 64, 100, 2048, 2049}) {
    for (double scale : {0.1, 5.0, 60.0}) {  // 60: most entries underflow to 0
      const double tolerance = kSoftmaxRelTolerance + static_cast<double>(n - 1) * 0x1p-24;
      std::vector<float> got = Scores(n, scale, rng), want = got;
      SoftmaxInPlace(got.data(), n);
      SoftmaxInPlaceReference(want.data(), n);
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_NEAR(got[i], want[i], tolerance * want[i] + 1e-30)
            << "n " << n << " scale " << scale << " entry " << i;
        sum += got[i];
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
}

TEST_P(OpsSimdTest, SiluMulMatchesTheReference) {
  Rng rng(8);
  for (int64_t n : {1, 7, 16, 33, 3072}) {
    std::vector<float> gate = Scores(n, 4.0, rng), up = Scores(n, 1.0, rng);
    gate[0] = -100.0f;  // exp(100) overflows to inf: silu = -0
    std::vector<float> got(static_cast<size_t>(n)), want(static_cast<size_t>(n));
    SiluMul(gate.data(), up.data(), n, got.data());
    SiluMulReference(gate.data(), up.data(), n, want.data());
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_NEAR(got[i], want[i], kSiluRelTolerance * std::fabs(want[i]) + 1e-30)
          << "n " << n << " entry " << i;
    }
  }
}

LIEQ_INSTANTIATE_FOR_EVERY_SIMD_TARGET(OpsSimdTest);

}  // namespace
}  // namespace lieq
