// GroupMatMul (the group format computed from packed codes) against GroupMatMulReference for
// every width, group size and several row counts of x on both sides of the decode/prefill
// switch; plus bitwise equality of 1 and 2 threads.
#include "kernels/group_matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/half.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "kernels/group_quant.h"
#include "kernels/matmul.h"
#include "kernels/q8_bound.h"
#include "kernels/vec_dot.h"

namespace lieq {
namespace {

// |fast - reference| <= kRelTol · Σ_i |x_i · w_i|: the decoded weights are the reference's
// floats up to one rounding (s · (q − z) may contract to an FMA), 2^-24 relative, and the float32
// sums of ≤ 1024 terms err by about sqrt(in) · 2^-24; 2e-5 leaves a wide margin.
constexpr double kRelTol = 2e-5;

struct Packed {
  int bits, group_size;
  int64_t rows, cols;
  std::vector<uint8_t> codes;
  std::vector<uint16_t> scales, zeros;
  GroupQuantView view() const {
    return {bits, group_size, rows, cols, codes.data(), scales.data(), zeros.data()};
  }
};

Packed RandomPacked(int bits, int group_size, int64_t rows, int64_t cols, Rng& rng) {
  Packed p{bits, group_size, rows, cols, {}, {}, {}};
  const int64_t row_bytes = PackedRowBytes(bits, cols), groups = cols / group_size;
  p.codes.resize(static_cast<size_t>(rows * row_bytes));
  std::vector<uint8_t> codes(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& c : codes) c = static_cast<uint8_t>(rng.NextU64() % (MaxCode(bits) + 1));
    PackCodes(codes.data(), cols, bits, p.codes.data() + r * row_bytes);
  }
  for (int64_t i = 0; i < rows * groups; ++i) {
    p.scales.push_back(F32ToF16(static_cast<float>(0.01 + 0.05 * rng.Uniform())));
    p.zeros.push_back(F32ToF16(static_cast<float>(rng.NextU64() % (MaxCode(bits) + 1))));
  }
  return p;
}

TEST(GroupMatMulTest, MatchesReference) {
  ThreadPool pool(2);
  Rng rng(7);
  for (int bits : {2, 3, 4, 8}) {
    for (int group_size : {32, 64, 128}) {
      const int64_t rows = 70, cols = 2 * 128 + group_size;  // a partial 64-row chunk
      const Packed p = RandomPacked(bits, group_size, rows, cols, rng);
      for (int64_t n : {1, 3, 17, 64}) {
        std::vector<float> x(static_cast<size_t>(n * cols));
        for (auto& v : x) v = static_cast<float>(rng.Normal());
        std::vector<float> want(static_cast<size_t>(n * rows)), got(want.size());
        GroupMatMulReference(x.data(), n, p.view(), want.data());
        GroupMatMul(x.data(), n, p.view(), got.data(), pool);
        // Few rows of x take the integer kernels on 8-bit activations (kMatMulQ8MaxRows).
        const bool q8 = n <= kMatMulQ8MaxRows;
        Q8Activations acts;
        if (q8) acts.Quantize(x.data(), n, cols, GroupVecDotLayout(bits));
        std::vector<float> w(static_cast<size_t>(cols)), q_part(w.size());
        for (int64_t r = 0; r < rows; ++r) {
          DequantizeGroupRow(p.view(), r, w.data());
          for (int64_t c = 0; c < cols; ++c) {
            const size_t g = static_cast<size_t>(r * (cols / group_size) + c / group_size);
            q_part[c] = std::fabs(w[c]) + std::fabs(F16ToF32(p.scales[g]) * F16ToF32(p.zeros[g]));
          }
          for (int64_t t = 0; t < n; ++t) {
            double abs_sum = 0;
            for (int64_t c = 0; c < cols; ++c) abs_sum += std::fabs(x[t * cols + c] * w[c]);
            const double rounding = q8 ? Q8RoundingBound(q_part.data(), acts.Row(t), 32) : 0;
            const size_t i = static_cast<size_t>(t * rows + r);
            ASSERT_NEAR(got[i], want[i], rounding + kRelTol * abs_sum + 1e-30)
                << "bits " << bits << " group " << group_size << " n " << n << " row " << r
                << " token " << t;
          }
        }
      }
    }
  }
}

TEST(GroupMatMulTest, ThreadCountDoesNotChangeResults) {
  ThreadPool one(1), two(2);
  Rng rng(11);
  for (int bits : {2, 3, 4, 8}) {
    const int64_t rows = 600, cols = 256;  // several decode chunks and prefill panels
    const Packed p = RandomPacked(bits, 64, rows, cols, rng);
    for (int64_t n : {1, 5, 40}) {
      std::vector<float> x(static_cast<size_t>(n * cols));
      for (auto& v : x) v = static_cast<float>(rng.Normal());
      std::vector<float> a(static_cast<size_t>(n * rows)), b(a.size());
      GroupMatMul(x.data(), n, p.view(), a.data(), one);
      GroupMatMul(x.data(), n, p.view(), b.data(), two);
      EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)))
          << "bits " << bits << " n " << n;
    }
  }
}

}  // namespace
}  // namespace lieq
