// The integer prefill GEMM (gemm_q8.h) on every SIMD target this machine supports and the build
// generated: against its scalar reference (the same quantized activations, exact weights) within
// float summation error, the reference against the exact float product within the activations'
// rounding bound (q8_bound.h, as the decode path), and bitwise the same for 1 and 3 threads.
#include "kernels/gemm_q8.h"

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
#include "kernels/group_quant.h"
#include "kernels/matmul.h"
#include "kernels/q8_activations.h"
#include "kernels/q8_bound.h"
#include "simd_target_test.h"

namespace lieq {
namespace {

// The kernel and its reference differ only in the order of float sums:
// |gemm − ref| <= kSumOrderTol · Σ_e |w_e · x̂_e|.
constexpr double kSumOrderTol = 1e-5;

struct Format {
  DType type;
  size_t block_bytes;
  std::vector<size_t> half_offsets;  // fp16 fields: set to sane random scales
};

const std::vector<Format>& Formats() {
  static const std::vector<Format> kFormats = {
      {DType::kQ2_K, 84, {80, 82}}, {DType::kQ3_K, 110, {108}}, {DType::kQ4_K, 144, {0, 2}},
      {DType::kQ5_K, 176, {0, 2}},  {DType::kQ6_K, 210, {208}},
  };
  return kFormats;
}

std::vector<std::byte> RandomBlocks(const Format& f, int64_t blocks, Rng& rng) {
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
std::vector<float> RandomActivations(int64_t n, int64_t cols, Rng& rng) {
  std::vector<float> x(static_cast<size_t>(n * cols));
  for (auto& v : x) v = static_cast<float>(rng.Normal());
  for (int64_t t = 0; t < n; ++t) x[t * cols + (7 + 13 * t) % cols] = 40.0f;
  return x;
}

// Checks y (the kernel) against the reference and the exact product; dense is W decoded [rows,
// cols].
void CheckAgainstBounds(const std::vector<float>& dense, int64_t rows, int64_t cols,
                        const std::vector<float>& x, int64_t n, const std::vector<float>& y,
                        const std::vector<float>& ref, const std::string& what) {
  Q8Activations acts;
  acts.Quantize(x.data(), n, cols, Q8Layout{256, 0});
  double largest = 0;  // the check is not vacuous: outputs far above the tolerances
  for (float v : y) largest = std::max(largest, std::fabs(static_cast<double>(v)));
  ASSERT_GT(largest, 1.0) << what;
  for (int64_t t = 0; t < n; ++t) {
    const Q8Row a = acts.Row(t);
    for (int64_t r = 0; r < rows; ++r) {
      const float* w = dense.data() + r * cols;
      double exact = 0, abs = 0, abs_q = 0;
      for (int64_t e = 0; e < cols; ++e) {
        exact += static_cast<double>(w[e]) * x[t * cols + e];
        abs += std::fabs(static_cast<double>(w[e]) * x[t * cols + e]);
        abs_q += std::fabs(static_cast<double>(w[e]) * a.scale[e / 256] * a.q[e]);
      }
      const size_t i = static_cast<size_t>(t * rows + r);
      ASSERT_NEAR(y[i], ref[i], kSumOrderTol * abs_q + 1e-30)
          << what << " n " << n << " t " << t << " row " << r;
      ASSERT_NEAR(ref[i], exact, Q8RoundingBound(w, a, 256) + kSumOrderTol * abs)
          << what << " n " << n << " t " << t << " row " << r;
    }
  }
}

class GemmQ8Test : public SimdTargetTest {};

// vpdpbusd on AVX3_DL, pmaddwd on the other x86 targets, none elsewhere.
TEST_P(GemmQ8Test, KernelOfTarget) {
  const std::string kind = GemmQ8Kind();
#if HWY_ARCH_X86
  if (GetParam() == HWY_AVX3_DL) {
    EXPECT_EQ(kind, "vpdpbusd");
  } else if (GetParam() == HWY_EMU128 || GetParam() == HWY_SCALAR) {
    EXPECT_EQ(kind, "none");
  } else {
    EXPECT_EQ(kind, "pmaddwd");
  }
#else
  EXPECT_EQ(kind, "none");
#endif
}

TEST_P(GemmQ8Test, BlockTypesMatchReferenceAndExactProduct) {
  Rng rng(21);
  const int64_t rows = 150, cols = 768;  // 3 chunks of 64 rows, a partial last tile
  for (const Format& f : Formats()) {
    const std::vector<std::byte> bytes = RandomBlocks(f, rows * cols / 256, rng);
    const TensorView w{f.type, {rows, cols}, bytes.data()};
    if (!GemmQ8Supports(w)) {
      GTEST_SKIP() << "no GEMM kernel on " << hwy::TargetName(GetParam());
    }
    std::vector<float> dense(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) RowToF32(w, r, dense.data() + r * cols);
    for (int64_t n : {1, 5, 9, 20, 27}) {
      const std::vector<float> x = RandomActivations(n, cols, rng);
      std::vector<float> y1(static_cast<size_t>(n * rows)), y3(y1.size()), ref(y1.size());
      ThreadPool one(1), three(3);
      GemmQ8(x.data(), n, w, y1.data(), one);
      GemmQ8(x.data(), n, w, y3.data(), three);
      GemmQ8Reference(x.data(), n, w, ref.data());
      ASSERT_EQ(y1, y3) << Name(f.type) << ": thread counts differ";
      CheckAgainstBounds(dense, rows, cols, x, n, y1, ref, std::string(Name(f.type)));
    }
  }
}

TEST_P(GemmQ8Test, GroupFormatMatchesReferenceAndExactProduct) {
  Rng rng(22);
  const int64_t rows = 70, cols = 512;  // 2 chunks, a partial last tile
  for (int bits : {2, 3, 4, 8}) {
    for (int group : {32, 64, 128, 256, 512}) {
      GroupQuantView w;
      w.bits = bits;
      w.group_size = group;
      w.rows = rows;
      w.cols = cols;
      std::vector<uint8_t> codes(static_cast<size_t>(cols));
      std::vector<uint8_t> packed(static_cast<size_t>(rows * PackedRowBytes(bits, cols)));
      for (int64_t r = 0; r < rows; ++r) {
        for (auto& c : codes) c = static_cast<uint8_t>(rng.NextU64() % (1u << bits));
        PackCodes(codes.data(), cols, bits, packed.data() + r * PackedRowBytes(bits, cols));
      }
      std::vector<uint16_t> scales(static_cast<size_t>(rows * cols / group)), zeros(scales.size());
      for (auto& s : scales) s = F32ToF16(static_cast<float>(0.01 + 0.01 * rng.Uniform()));
      for (auto& z : zeros) z = F32ToF16(static_cast<float>(rng.NextU64() % (1u << bits)));
      w.codes = packed.data();
      w.scales = scales.data();
      w.zeros = zeros.data();
      if (!GroupGemmQ8Supports(w)) {
        GTEST_SKIP() << "no GEMM kernel on " << hwy::TargetName(GetParam());
      }
      std::vector<float> dense(static_cast<size_t>(rows * cols));
      for (int64_t r = 0; r < rows; ++r) DequantizeGroupRow(w, r, dense.data() + r * cols);
      for (int64_t n : {3, 17}) {
        const std::vector<float> x = RandomActivations(n, cols, rng);
        std::vector<float> y1(static_cast<size_t>(n * rows)), y3(y1.size()), ref(y1.size());
        ThreadPool one(1), three(3);
        GroupGemmQ8(x.data(), n, w, y1.data(), one);
        GroupGemmQ8(x.data(), n, w, y3.data(), three);
        GroupGemmQ8Reference(x.data(), n, w, ref.data());
        ASSERT_EQ(y1, y3) << bits << " bits: thread counts differ";
        CheckAgainstBounds(dense, rows, cols, x, n, y1, ref,
                           std::to_string(bits) + " bits, group " + std::to_string(group));
      }
    }
  }
}

// MatMul / GroupMatMul take the GEMM for prefill only when asked; the default stays the exact
// float path (what `lieq ppl` measures), and decode is the same either way.
TEST(GemmQ8Wiring, FastPrefillOnlyWhenAsked) {
  Rng rng(23);
  const Format& f = Formats()[2];  // Q4_K
  const int64_t rows = 40, cols = 512;
  const std::vector<std::byte> bytes = RandomBlocks(f, rows * cols / 256, rng);
  const TensorView w{f.type, {rows, cols}, bytes.data()};
  ThreadPool pool(2);
  for (int64_t n : {4, 24}) {
    const std::vector<float> x = RandomActivations(n, cols, rng);
    std::vector<float> exact(static_cast<size_t>(n * rows)), fast(exact.size()), gemm(exact.size()),
        plain(exact.size());
    MatMul(x.data(), n, w, plain.data(), pool);
    MatMul(x.data(), n, w, exact.data(), pool, MatMulOptions{.fast_prefill = false});
    MatMul(x.data(), n, w, fast.data(), pool, MatMulOptions{.fast_prefill = true});
    GemmQ8(x.data(), n, w, gemm.data(), pool);
    EXPECT_EQ(plain, exact) << "n " << n;
    if (n <= kMatMulQ8MaxRows || !GemmQ8Supports(w)) {
      EXPECT_EQ(fast, exact) << "n " << n;
    } else {
      EXPECT_EQ(fast, gemm) << "n " << n;
      EXPECT_NE(fast, exact) << "n " << n;
    }
  }
}

LIEQ_INSTANTIATE_FOR_EVERY_SIMD_TARGET(GemmQ8Test);

}  // namespace
}  // namespace lieq
