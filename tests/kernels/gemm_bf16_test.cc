// The BF16 prefill GEMM (gemm_bf16.h), where this CPU has AVX512-BF16: against its reference (x
// rounded to BF16, double sums) within F32 summation error, against the exact float product
// within the bound of gemm_bf16.h, bitwise the same for 1 and 3 threads; and absent on every
// Highway target but AVX3_DL.
#include "kernels/gemm_bf16.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/half.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "hwy/targets.h"
#include "kernels/matmul.h"
#include "simd_target_test.h"

namespace lieq {
namespace {

class GemmBf16Test : public SimdTargetTest {};

TEST_P(GemmBf16Test, MatchesReferenceAndExactProductWithinBound) {
  const bool expected = GetParam() == HWY_AVX3_DL && DetectCpuFeatures().Has("avx512_bf16");
  ASSERT_EQ(GemmBf16Supported(), expected) << hwy::TargetName(GetParam());
  if (!expected) GTEST_SKIP() << "no BF16 kernel on " << hwy::TargetName(GetParam());
  Rng rng(31);
  for (int64_t cols : {64, 1024}) {
    const int64_t rows = 150;  // 3 chunks of 64 rows, a partial last tile
    std::vector<uint16_t> wb(static_cast<size_t>(rows * cols));
    for (auto& v : wb) v = F32ToBf16(static_cast<float>(rng.Normal() * 0.05));
    const TensorView w{DType::kBF16, {rows, cols}, reinterpret_cast<const std::byte*>(wb.data())};
    for (int64_t n : {1, 7, 12, 31}) {
      std::vector<float> x(static_cast<size_t>(n * cols));
      for (auto& v : x) v = static_cast<float>(rng.Normal());
      x[3] = 30.0f;
      std::vector<float> y1(static_cast<size_t>(n * rows)), y3(y1.size()), ref(y1.size()),
          exact(y1.size());
      ThreadPool one(1), three(3);
      GemmBf16(x.data(), n, w, y1.data(), one);
      GemmBf16(x.data(), n, w, y3.data(), three);
      GemmBf16Reference(x.data(), n, w, ref.data());
      MatMulReference(x.data(), n, w, exact.data());
      ASSERT_EQ(y1, y3) << "thread counts differ";
      for (int64_t t = 0; t < n; ++t) {
        for (int64_t r = 0; r < rows; ++r) {
          double abs = 0;
          for (int64_t e = 0; e < cols; ++e)
            abs += std::fabs(Bf16ToF32(wb[r * cols + e]) * static_cast<double>(x[t * cols + e]));
          const size_t i = static_cast<size_t>(t * rows + r);
          const double summation = static_cast<double>(cols) * std::ldexp(1.0, -23) * abs;
          ASSERT_NEAR(y1[i], ref[i], summation + 1e-30) << "cols " << cols << " n " << n;
          ASSERT_NEAR(y1[i], exact[i], std::ldexp(1.0, -8) * abs + summation)
              << "cols " << cols << " n " << n;
        }
      }
    }
  }
}

LIEQ_INSTANTIATE_FOR_EVERY_SIMD_TARGET(GemmBf16Test);

}  // namespace
}  // namespace lieq
