// MatMul on weights kept in GGUF block types (MatMulDecoded) against MatMulReference (the
// reference decoder DequantizeRow + a double-accumulated dot), for every block type and row
// counts on both sides of the decode/prefill switch; bitwise equality of 1 and 2 threads; and
// bitwise equality with MatMul on the same matrix dequantized to F32 (what the engine computed
// when GGUF files were dequantized at load).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/dequantize.h"
#include "kernels/matmul.h"
#include "kernels/matmul_decoded.h"
#include "kernels/q8_bound.h"
#include "kernels/quantize_reference.h"
#include "kernels/vec_dot.h"

namespace lieq {
namespace {

// |fast - reference| <= kRelTol · Σ_i |x_i · w_i|: the same decoded floats, float32 sums of
// ≤ 768 terms in SIMD/sgemm order (about sqrt(in) · 2^-24 of the sum); 2e-5 as in matmul_test.
constexpr double kRelTol = 2e-5;

constexpr DType kBlockTypes[] = {DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ2_K,
                                 DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

OwnedTensor RandomBlockMatrix(DType type, int64_t rows, int64_t cols, Rng& rng) {
  OwnedTensor w = OwnedTensor::Zeros(type, {rows, cols});
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = static_cast<float>(0.05 * rng.Normal());
    QuantizeRowReference(type, row.data(), w.buffer.data() + r * RowBytes(type, cols), cols);
  }
  return w;
}

TEST(QuantMatMulTest, MatchesReferenceAndIsThreadCountInvariant) {
  ThreadPool one(1), two(2);
  Rng rng(3);
  for (DType type : kBlockTypes) {
    const int64_t rows = 600, cols = 768;  // several decode chunks, a partial prefill panel
    const OwnedTensor w = RandomBlockMatrix(type, rows, cols, rng);
    std::vector<float> wf(static_cast<size_t>(rows * cols));
    RowsToF32(w.view(), 0, rows, wf.data());
    for (int64_t n : {1, 3, 8, 17, 64}) {
      SCOPED_TRACE(std::string(Name(type)) + " n " + std::to_string(n));
      std::vector<float> x(static_cast<size_t>(n * cols));
      for (auto& v : x) v = static_cast<float>(rng.Normal());
      std::vector<float> want(static_cast<size_t>(n * rows)), a(want.size()), b(want.size());
      MatMulReference(x.data(), n, w.view(), want.data());
      MatMul(x.data(), n, w.view(), a.data(), one);
      MatMul(x.data(), n, w.view(), b.data(), two);
      ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
      // Few rows of x take the integer kernels on 8-bit activations (kMatMulQ8MaxRows).
      const bool q8 = n <= kMatMulQ8MaxRows;
      Q8Activations acts;
      if (q8) acts.Quantize(x.data(), n, cols, VecDotLayout(type));
      for (int64_t t = 0; t < n; ++t) {
        for (int64_t r = 0; r < rows; ++r) {
          double abs_sum = 0;
          for (int64_t c = 0; c < cols; ++c)
            abs_sum += std::fabs(x[t * cols + c] * wf[r * cols + c]);
          const double rounding =
              q8 ? Q8RoundingBound(wf.data() + r * cols, acts.Row(t), VecDotLayout(type).block) : 0;
          const size_t i = static_cast<size_t>(t * rows + r);
          ASSERT_NEAR(a[i], want[i], rounding + kRelTol * abs_sum + 1e-30)
              << "row " << r << " token " << t;
        }
      }
      // The float path (MatMulDecoded, which MatMul takes for more rows) on the dequantized F32
      // matrix through the float paths gives the very same bits.
      if (q8) MatMulDecoded(x.data(), n, TensorRowDecoder(w.view()), a.data(), two);
      const TensorView f32{
          DType::kF32, {rows, cols}, reinterpret_cast<const std::byte*>(wf.data())};
      std::vector<float> c(want.size());
      MatMul(x.data(), n, f32, c.data(), two);
      EXPECT_EQ(0, std::memcmp(a.data(), c.data(), a.size() * sizeof(float)));
    }
  }
}

TEST(QuantMatMulTest, RowToF32DecodesBlockTypes) {
  Rng rng(5);
  for (DType type : kBlockTypes) {
    const OwnedTensor w = RandomBlockMatrix(type, 3, 512, rng);
    std::vector<float> a(512), b(512);
    RowToF32(w.view(), 2, a.data());
    DequantizeRow(type, w.view().Row(2), b.data(), 512);
    EXPECT_EQ(a, b) << Name(type);
  }
}

}  // namespace
}  // namespace lieq
