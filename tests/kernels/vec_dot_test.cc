// The integer dot kernels (vec_dot.h): every SIMD kernel against its scalar reference on random
// packed rows, on every SIMD target this machine supports and the build generated; the references
// against the exact float dot of the decoded row, within the bound of the activations' rounding;
// and MatMul / GroupMatMul on the decode path against MatMulReference.
#include "kernels/vec_dot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/half.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "hwy/targets.h"
#include "kernels/dequantize.h"
#include "kernels/group_matmul.h"
#include "kernels/group_quant.h"
#include "kernels/matmul.h"
#include "kernels/q8_bound.h"
#include "simd_target_test.h"

namespace lieq {
namespace {

// SIMD and reference compute the same integer sums; only the float sum over blocks differs in
// order: |simd − ref| <= kSumOrderTol · Σ_e |w_e · x_e|.
constexpr double kSumOrderTol = 1e-5;
// The references against the exact float dot: within Q8RoundingBound (kernels/q8_bound.h).

struct Format {
  DType type;
  size_t block_bytes;
  std::vector<size_t> half_offsets;  // fp16 fields: set to sane random scales
};

const std::vector<Format>& Formats() {
  static const std::vector<Format> kFormats = {
      {DType::kQ2_K, 84, {80, 82}}, {DType::kQ3_K, 110, {108}}, {DType::kQ4_K, 144, {0, 2}},
      {DType::kQ5_K, 176, {0, 2}},  {DType::kQ6_K, 210, {208}}, {DType::kQ8_0, 34, {0}},
      {DType::kQ4_0, 18, {0}},      {DType::kQ4_1, 20, {0, 2}},
  };
  return kFormats;
}

std::vector<std::byte> RandomRow(const Format& f, int64_t blocks, Rng& rng) {
  std::vector<std::byte> bytes(static_cast<size_t>(blocks) * f.block_bytes);
  for (auto& b : bytes) b = static_cast<std::byte>(rng.NextU64() & 0xFF);
  for (int64_t i = 0; i < blocks; ++i) {
    for (size_t off : f.half_offsets) {
      const uint16_t h = F32ToF16(static_cast<float>(rng.Normal() * 0.01));
      std::memcpy(bytes.data() + i * f.block_bytes + off, &h, 2);
    }
  }
  return bytes;
}

// Activations with an outlier per row, as real hidden states have.
std::vector<float> RandomActivations(int64_t n, Rng& rng) {
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = static_cast<float>(rng.Normal());
  if (n > 7) x[7] = 40.0f;
  return x;
}

// Σ w_e x_e, Σ |w_e x_e| and the activation-rounding bound for the error bounds.
struct Bounds {
  double exact = 0, abs = 0, rounding = 0;
};
Bounds DotBounds(const std::vector<float>& w, const std::vector<float>& x, const Q8Row& a,
                 int block) {
  Bounds b;
  for (size_t e = 0; e < w.size(); ++e) {
    b.exact += static_cast<double>(w[e]) * x[e];
    b.abs += std::fabs(static_cast<double>(w[e]) * x[e]);
  }
  b.rounding = Q8RoundingBound(w.data(), a, block);
  return b;
}

class VecDotTest : public SimdTargetTest {};

TEST_P(VecDotTest, BlockTypesMatchReferenceAndExactDot) {
  Rng rng(11);
  for (const Format& f : Formats()) {
    const VecDotFn simd = VecDotSimd(f.type), ref = VecDotReference(f.type);
    ASSERT_NE(ref, nullptr) << Name(f.type);
    const Q8Layout layout = VecDotLayout(f.type);
    const int64_t block_elems = Info(f.type).block_size;
    for (int64_t cols : {int64_t{256}, int64_t{1024}, int64_t{2304}}) {
      const std::vector<std::byte> row = RandomRow(f, cols / block_elems, rng);
      const std::vector<float> x = RandomActivations(cols, rng);
      std::vector<float> w(static_cast<size_t>(cols));
      DequantizeRow(f.type, row.data(), w.data(), cols);
      Q8Activations acts;
      acts.Quantize(x.data(), 1, cols, layout);
      const Q8Row a = acts.Row(0);
      const Bounds b = DotBounds(w, x, a, layout.block);
      const double want = ref(row.data(), a);
      EXPECT_NEAR(want, b.exact, b.rounding + kSumOrderTol * b.abs)
          << Name(f.type) << " cols " << cols;
      for (const VecDotFn fn : VecDotSimdKernels(f.type)) {
        EXPECT_NEAR(fn(row.data(), a), want, kSumOrderTol * b.abs + 1e-30)
            << Name(f.type) << " cols " << cols
            << (fn == simd ? " (VecDotSimd)" : " (other kernel)");
      }
    }
  }
}

TEST_P(VecDotTest, GroupFormatMatchesReferenceAndExactDot) {
  Rng rng(12);
  for (int bits : {2, 3, 4, 8}) {
    for (int group : {32, 64, 128}) {
      const int64_t cols = 512;
      GroupQuantView w;
      w.bits = bits;
      w.group_size = group;
      w.rows = 1;
      w.cols = cols;
      std::vector<uint8_t> codes(static_cast<size_t>(cols)), packed(PackedRowBytes(bits, cols));
      for (auto& c : codes) c = static_cast<uint8_t>(rng.NextU64() % (1u << bits));
      PackCodes(codes.data(), cols, bits, packed.data());
      std::vector<uint16_t> scales(cols / group), zeros(cols / group);
      for (auto& s : scales) s = F32ToF16(static_cast<float>(0.01 + 0.01 * rng.Uniform()));
      for (auto& z : zeros) z = F32ToF16(static_cast<float>(rng.NextU64() % (1u << bits)));
      w.codes = packed.data();
      w.scales = scales.data();
      w.zeros = zeros.data();
      std::vector<float> dense(static_cast<size_t>(cols));
      DequantizeGroupRow(w, 0, dense.data());
      const std::vector<float> x = RandomActivations(cols, rng);
      Q8Activations acts;
      acts.Quantize(x.data(), 1, cols, GroupVecDotLayout(bits));
      const Q8Row a = acts.Row(0);
      const Bounds b = DotBounds(dense, x, a, 32);
      const GroupRow row{packed.data(), scales.data(), zeros.data(), group};
      // s·z·Σx is taken exactly, so the rounding bound is on s·q (≤ |w| + s·z).
      std::vector<float> q_part(static_cast<size_t>(cols));
      for (int64_t e = 0; e < cols; ++e) {
        q_part[e] = std::fabs(dense[e]) + F16ToF32(scales[e / group]) * F16ToF32(zeros[e / group]);
      }
      const double rounding = Q8RoundingBound(q_part.data(), a, 32);
      const double want = GroupVecDotReference(bits)(row, a);
      EXPECT_NEAR(want, b.exact, rounding + kSumOrderTol * b.abs)
          << bits << " bits, group " << group;
      for (const GroupVecDotFn fn : GroupVecDotSimdKernels(bits)) {
        EXPECT_NEAR(fn(row, a), want, kSumOrderTol * (b.abs + rounding) + 1e-30)
            << bits << " bits, group " << group;
      }
    }
  }
}

LIEQ_INSTANTIATE_FOR_EVERY_SIMD_TARGET(VecDotTest);

// The decode path (MatMul with n <= kMatMulQ8MaxRows) equals the kernels' result: within the
// activation-rounding bound of the float reference, and bitwise the same for any thread count.
TEST(MatMulQ8Test, DecodePathMatchesReferenceAndIsThreadCountInvariant) {
  Rng rng(13);
  const int64_t rows = 70, cols = 512;
  for (const Format& f : Formats()) {
    const std::vector<std::byte> bytes = RandomRow(f, rows * cols / Info(f.type).block_size, rng);
    const TensorView w{f.type, {rows, cols}, bytes.data()};
    const Q8Layout layout = VecDotLayout(f.type);
    for (int64_t n : {1, 3, 8}) {
      const std::vector<float> x = RandomActivations(n * cols, rng);
      std::vector<float> want(static_cast<size_t>(n * rows)), y1(want.size()), y3(want.size());
      MatMulReference(x.data(), n, w, want.data());
      ThreadPool one(1), three(3);
      MatMul(x.data(), n, w, y1.data(), one);
      MatMul(x.data(), n, w, y3.data(), three);
      Q8Activations acts;
      acts.Quantize(x.data(), n, cols, layout);
      std::vector<float> wrow(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        RowToF32(w, r, wrow.data());
        for (int64_t t = 0; t < n; ++t) {
          const std::vector<float> xt(x.begin() + t * cols, x.begin() + (t + 1) * cols);
          const Bounds b = DotBounds(wrow, xt, acts.Row(t), layout.block);
          const size_t i = static_cast<size_t>(t * rows + r);
          ASSERT_NEAR(y1[i], want[i], b.rounding + kSumOrderTol * b.abs)
              << Name(f.type) << " n " << n << " row " << r;
          ASSERT_EQ(y1[i], y3[i]) << Name(f.type) << " thread counts differ";
        }
      }
    }
  }
}

}  // namespace
}  // namespace lieq
