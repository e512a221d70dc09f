// The fast matmul paths (GEMV for decode, panel sgemm for prefill, and the MatMul dispatch)
// against MatMulReference for every weight dtype, many row counts and ragged shapes, on every
// SIMD target this build compiled; plus bitwise equality of 1 and 2 threads.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/half.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "hwy/targets.h"

namespace lieq {
namespace {

// |fast - reference| may reach kRelTol · Σ_i |x_i · w_i|: float32 sums of up to ~1000 terms
// in any order (SIMD lanes, sgemm blocking) err by about sqrt(in) · 2^-24 ≈ 2e-6 of that sum
// and by at most in · 2^-24 ≈ 6e-5; 2e-5 leaves a 10× margin over the typical error.
constexpr double kRelTol = 2e-5;

// Row counts of x: every GEMV group size 1..8, several groups (9, ...), both sides of MatMul's
// GEMV/GEMM switch and ragged prefill sizes.
constexpr int64_t kRowCounts[] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, kMatMulGemvMaxRows, kMatMulGemvMaxRows + 1, 64, 257};

struct Shape2 {
  int64_t out, in;
};
// Odd shapes: `in` below one vector, not a multiple of any SIMD width, a multiple of 16 with a
// ragged `out`, and shapes spanning several sgemm panels with a partial last panel.
constexpr Shape2 kShapes[] = {{33, 96}, {5, 13}, {37, 100}, {1, 1}, {300, 200}, {600, 40}};

constexpr DType kDTypes[] = {DType::kF32, DType::kBF16, DType::kF16};

enum class Path { kDispatch, kGemv, kGemm };
constexpr Path kPaths[] = {Path::kDispatch, Path::kGemv, Path::kGemm};

const char* PathName(Path p) {
  switch (p) {
    case Path::kDispatch:
      return "MatMul";
    case Path::kGemv:
      return "MatMulGemv";
    case Path::kGemm:
      return "MatMulGemm";
  }
  return "?";
}

void RunPath(Path p, const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool) {
  switch (p) {
    case Path::kDispatch:
      MatMul(x, n, w, y, pool);
      break;
    case Path::kGemv:
      MatMulGemv(x, n, w, y, pool);
      break;
    case Path::kGemm:
      MatMulGemm(x, n, w, y, pool);
      break;
  }
}

// A random [out, in] weight stored in `dtype`; values N(0, 1) rounded to that dtype.
OwnedTensor RandomWeight(DType dtype, int64_t out, int64_t in, uint64_t seed) {
  OwnedTensor t = OwnedTensor::Zeros(dtype, {out, in});
  Rng rng(seed);
  for (int64_t i = 0; i < out * in; ++i) {
    const float v = static_cast<float>(rng.Normal());
    switch (dtype) {
      case DType::kF32:
        t.buffer.As<float>()[i] = v;
        break;
      case DType::kBF16:
        t.buffer.As<uint16_t>()[i] = F32ToBf16(v);
        break;
      case DType::kF16:
        t.buffer.As<uint16_t>()[i] = F32ToF16(v);
        break;
      default:
        ADD_FAILURE() << "unexpected dtype";
    }
  }
  return t;
}

std::vector<float> RandomRows(int64_t n, int64_t in, uint64_t seed) {
  std::vector<float> x(static_cast<size_t>(n * in));
  Rng rng(seed);
  for (float& v : x) v = static_cast<float>(rng.Normal());
  return x;
}

// Σ_i |x_i · w_i| for every (row of x, row of W): the scale of the rounding error.
std::vector<double> AbsDotScale(const std::vector<float>& x, int64_t n, const TensorView& w) {
  const int64_t out = w.rows(), in = w.cols();
  std::vector<double> scale(static_cast<size_t>(n * out));
  std::vector<float> row(static_cast<size_t>(in));
  for (int64_t o = 0; o < out; ++o) {
    RowToF32(w, o, row.data());
    for (int64_t t = 0; t < n; ++t) {
      double s = 0;
      for (int64_t i = 0; i < in; ++i) s += std::fabs(static_cast<double>(x[t * in + i]) * row[i]);
      scale[static_cast<size_t>(t * out + o)] = s;
    }
  }
  return scale;
}

// Checks every path, row count and shape for one dtype on the current SIMD target.
void CheckAllPaths(DType dtype, const std::string& target) {
  ThreadPool pool1(1), pool2(2);
  uint64_t seed = 1;
  for (const Shape2& s : kShapes) {
    const OwnedTensor w = RandomWeight(dtype, s.out, s.in, ++seed);
    for (int64_t n : kRowCounts) {
      const std::vector<float> x = RandomRows(n, s.in, ++seed);
      std::vector<float> ref(static_cast<size_t>(n * s.out));
      MatMulReference(x.data(), n, w.view(), ref.data());
      const std::vector<double> scale = AbsDotScale(x, n, w.view());
      for (Path p : kPaths) {
        SCOPED_TRACE(std::string(PathName(p)) + " " + std::string(Name(dtype)) +
                     " n=" + std::to_string(n) + " out=" + std::to_string(s.out) +
                     " in=" + std::to_string(s.in) + " target=" + target);
        std::vector<float> y1(ref.size(), NAN), y2(ref.size(), NAN);
        RunPath(p, x.data(), n, w.view(), y1.data(), pool1);
        RunPath(p, x.data(), n, w.view(), y2.data(), pool2);
        int bad = 0;
        for (size_t i = 0; i < ref.size() && bad < 5; ++i) {
          const double err = std::fabs(static_cast<double>(y1[i]) - ref[i]);
          if (!(err <= kRelTol * scale[i])) {
            ADD_FAILURE() << "y[" << i << "] = " << y1[i] << ", reference " << ref[i];
            ++bad;
          }
        }
        // Thread count must not change a single bit.
        EXPECT_EQ(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)), 0)
            << "1 and 2 threads differ";
      }
    }
  }
}

// Runs CheckAllPaths once per SIMD target compiled into this build and supported here.
void CheckOnEveryTarget(DType dtype) {
  std::string names;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    names += std::string(names.empty() ? "" : " ") + hwy::TargetName(target);
    hwy::SetSupportedTargetsForTest(target);
    CheckAllPaths(dtype, hwy::TargetName(target));
  }
  hwy::SetSupportedTargetsForTest(0);  // back to the real CPU
  ::testing::Test::RecordProperty("simd_targets", names);
}

TEST(MatMulTest, F32MatchesReference) { CheckOnEveryTarget(DType::kF32); }
TEST(MatMulTest, Bf16MatchesReference) { CheckOnEveryTarget(DType::kBF16); }
TEST(MatMulTest, F16MatchesReference) { CheckOnEveryTarget(DType::kF16); }

TEST(MatMulTest, RowsToF32IsExact) {
  for (DType dtype : kDTypes) {
    const OwnedTensor w = RandomWeight(dtype, 9, 37, 99);
    std::vector<float> fast(5 * 37), slow(37);
    RowsToF32(w.view(), 3, 5, fast.data());
    for (int64_t r = 0; r < 5; ++r) {
      RowToF32(w.view(), 3 + r, slow.data());
      EXPECT_EQ(std::memcmp(fast.data() + r * 37, slow.data(), sizeof(float) * 37), 0)
          << Name(dtype) << " row " << r;
    }
  }
}

// A decode-sized call on a real layer shape: W rows split unevenly between threads.
TEST(MatMulTest, RealShapeDecodeMatchesReference) {
  ThreadPool pool(2);
  const int64_t out = 1027, in = 1024;  // an odd row count exercises the last partial block
  for (DType dtype : kDTypes) {
    const OwnedTensor w = RandomWeight(dtype, out, in, 7);
    const std::vector<float> x = RandomRows(4, in, 8);
    std::vector<float> ref(4 * out), y(4 * out);
    MatMulReference(x.data(), 4, w.view(), ref.data());
    MatMul(x.data(), 4, w.view(), y.data(), pool);
    const std::vector<double> scale = AbsDotScale(x, 4, w.view());
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_LE(std::fabs(static_cast<double>(y[i]) - ref[i]), kRelTol * scale[i])
          << Name(dtype) << " y[" << i << "]";
    }
  }
}

}  // namespace
}  // namespace lieq
