#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/half.h"
#include "core/mapped_file.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "test_util.h"

namespace lieq {
namespace {

TEST(StatusTest, ResultCarriesValueOrError) {
  Result<int> ok = 3;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  Result<int> bad = NotFound("x.bin: missing");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bad.status().WithContext("load").message(), "load: x.bin: missing");
}

TEST(HalfTest, Bf16RoundsToNearestEven) {
  EXPECT_EQ(F32ToBf16(1.0f), 0x3f80);
  EXPECT_EQ(Bf16ToF32(0x3f80), 1.0f);
  // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even mantissa (1.0).
  EXPECT_EQ(F32ToBf16(1.00390625f), 0x3f80);
  EXPECT_EQ(F32ToBf16(1.01171875f), 0x3f82);
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(std::nanf("")))));
  EXPECT_EQ(F16ToF32(F32ToF16(0.333251953125f)), 0.333251953125f);
  EXPECT_EQ(F16ToF32(0x3c00), 1.0f);
}

TEST(TensorTest, CheckedNumElementsCatchesOverflow) {
  EXPECT_EQ(CheckedNumElements({2, 3, 4}), 24);
  EXPECT_FALSE(CheckedNumElements({int64_t{1} << 40, int64_t{1} << 40}).has_value());
  EXPECT_FALSE(CheckedNumElements({-1, 4}).has_value());
}

TEST(ThreadPoolTest, CoversEveryIndexOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1001);
  pool.ParallelFor(1001, [&](int64_t i) { hits[i]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  pool.ParallelFor(0, [&](int64_t) { FAIL(); });
}

TEST(ThreadPoolTest, ForEachHandsOutEveryIndexOnce) {
  for (int threads : {1, 3}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(257);
    std::atomic<int> bad_thread{0};
    pool.ParallelForEach(257, [&](int thread, int64_t i) {
      hits[static_cast<size_t>(i)]++;
      if (thread < 0 || thread >= threads) bad_thread++;
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    EXPECT_EQ(bad_thread.load(), 0);
    pool.ParallelForEach(0, [&](int, int64_t) { FAIL(); });
  }
}

// Released pages come back from the file with the same bytes; ranges outside the map are ignored.
TEST(MappedFileTest, ReleasedPagesReadBackTheSame) {
  const std::string path = testing::TempDir() + "/mapped.bin";
  std::string bytes(3 * 4096 + 100, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  std::ofstream(path, std::ios::binary) << bytes;
  Result<std::shared_ptr<MappedFile>> file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  const MappedFile& m = **file;
  const auto read = [&] { return std::string(reinterpret_cast<const char*>(m.data()), m.size()); };
  ASSERT_EQ(read(), bytes);
  m.Release(m.data() + 10, m.size() - 10);
  m.Release(bytes.data(), bytes.size());  // not in the map
  EXPECT_EQ(read(), bytes);
  EXPECT_FALSE(m.Contains(bytes.data()));
  EXPECT_TRUE(m.Contains(m.data() + m.size() - 1));
}

TEST(RngTest, IsDeterministicAndNormal) {
  Rng a(42), b(42);
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x = a.Normal();
    ASSERT_EQ(x, b.Normal());
    sum += x;
    sum_sq += x * x;
  }
  EXPECT_NEAR(sum / 1e5, 0.0, 0.02);  // 5 standard errors of the mean
  EXPECT_NEAR(sum_sq / 1e5, 1.0, 0.03);
}

TEST(AtomicFileTest, FailedWriteLeavesNothingAndExistingFilesNeedForce) {
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/out.bin";
  Status s = WriteFileAtomically(path, {}, [](std::FILE*) { return IoError("interrupted"); });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  ASSERT_TRUE(WriteTextFileAtomically(path, "one", {}).ok());
  s = WriteTextFileAtomically(path, "two", {});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(WriteTextFileAtomically(path, "two", {.overwrite = true}).ok());
  std::ifstream in(path);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "two");
}

}  // namespace
}  // namespace lieq
