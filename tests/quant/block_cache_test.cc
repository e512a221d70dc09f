// The resume cache's entries (quant/block_cache.h): a stored block reads back as it was; a file
// that is missing is "no entry"; one that is damaged, or of another type or shape, is an error
// naming the file, never trusted.
#include "quant/block_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

GridQuantizedLinear Layer(DType type, int64_t rows, int64_t cols, int seed) {
  GridQuantizedLinear q;
  q.type = type;
  q.rows = rows;
  q.cols = cols;
  q.data.resize(static_cast<size_t>(rows * RowBytes(type, cols)));
  for (size_t i = 0; i < q.data.size(); ++i) q.data[i] = static_cast<std::byte>(i * 31 + seed);
  return q;
}

// The shapes a reader expects: the layers without their bytes.
std::vector<GridQuantizedLinear> Shapes(const CachedGridBlock& block) {
  std::vector<GridQuantizedLinear> out;
  for (const GridQuantizedLinear& q : block.linears)
    out.push_back({q.type, q.rows, q.cols, {}, {}});
  return out;
}

class GridCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_.emplace(testing::TempDir() + "/grid-cache");
    ASSERT_TRUE(cache_->Open().ok());
    block_.linears = {Layer(DType::kQ2_K, 4, 256, 1), Layer(DType::kQ4_0, 3, 64, 2)};
    ASSERT_TRUE(cache_->StoreGrid(2, kKey, block_).ok());
  }
  static constexpr uint64_t kKey = 0x1234abcd;
  std::optional<BlockCache> cache_;
  CachedGridBlock block_;
};

TEST_F(GridCacheTest, StoredBlockReadsBackByteForByte) {
  CachedGridBlock back;
  const Result<bool> hit = cache_->LoadGrid(2, kKey, Shapes(block_), &back);
  ASSERT_TRUE(hit.ok()) << hit.status().message();
  ASSERT_TRUE(*hit);
  ASSERT_EQ(back.linears.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.linears[i].type, block_.linears[i].type);
    EXPECT_EQ(back.linears[i].data, block_.linears[i].data);
  }
}

TEST_F(GridCacheTest, AnotherKeyOrBlockIsNoEntry) {
  CachedGridBlock back;
  EXPECT_FALSE(*cache_->LoadGrid(2, kKey + 1, Shapes(block_), &back));
  EXPECT_FALSE(*cache_->LoadGrid(3, kKey, Shapes(block_), &back));
  // The packed-format entry of the same block and key is another file.
  CachedBlock packed;
  EXPECT_FALSE(*cache_->Load(2, kKey, CachedBlockShape{}, &packed));
}

TEST_F(GridCacheTest, AnotherTypeOrShapeIsAnErrorNamingTheFile) {
  std::vector<GridQuantizedLinear> expect = Shapes(block_);
  expect[1].type = DType::kQ4_1;
  CachedGridBlock back;
  Result<bool> r = cache_->LoadGrid(2, kKey, expect, &back);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(cache_->PathFor(2, kKey, "lqg")), std::string::npos);
  EXPECT_NE(r.status().message().find("layer 1 is not 3x64 q4_1"), std::string::npos)
      << r.status().message();
  expect = Shapes(block_);
  expect.pop_back();
  r = cache_->LoadGrid(2, kKey, expect, &back);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("holds 2 layers, expected 1"), std::string::npos)
      << r.status().message();
}

TEST_F(GridCacheTest, DamagedBytesAreCaughtByTheHash) {
  const std::string path = cache_->PathFor(2, kKey, "lqg");
  const auto size = fs::file_size(path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size - 5));
    f.put('\x7f');
  }
  CachedGridBlock back;
  Result<bool> r = cache_->LoadGrid(2, kKey, Shapes(block_), &back);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("payload hash mismatch"), std::string::npos)
      << r.status().message();
  fs::resize_file(path, size / 2);
  r = cache_->LoadGrid(2, kKey, Shapes(block_), &back);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("corrupt cached block"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace lieq
