// AllocateOptimal: exact against brute force on small random instances, budgets, errors.
#include "plan/allocator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/rng.h"

namespace lieq {
namespace {

// Sums of at most 8 costs in [0, 1): the DP and the enumeration add in the same order, so
// their optimal costs agree to rounding.
constexpr double kCostTolerance = 1e-12;

struct BruteForce {
  double cost = std::numeric_limits<double>::infinity();
  int64_t bytes = 0;
};

// Every one of W^L allocations.
BruteForce Enumerate(const AllocationProblem& p) {
  const size_t L = p.cost.size(), W = p.cost[0].size();
  std::vector<size_t> pick(L, 0);
  BruteForce best;
  while (true) {
    double cost = 0;
    int64_t bytes = 0;
    for (size_t l = 0; l < L; ++l) {
      cost += p.cost[l][pick[l]];
      bytes += p.bytes[l][pick[l]];
    }
    if (bytes <= p.capacity &&
        (cost < best.cost - kCostTolerance ||
         (std::abs(cost - best.cost) <= kCostTolerance && bytes < best.bytes))) {
      best = {cost, bytes};
    }
    size_t l = 0;
    while (l < L && ++pick[l] == W) pick[l++] = 0;
    if (l == L) break;
  }
  return best;
}

AllocationProblem RandomProblem(Rng& rng, size_t L, size_t W, bool equal_blocks) {
  AllocationProblem p;
  std::vector<int64_t> shared(W);
  for (size_t w = 0; w < W; ++w) shared[w] = 8 * static_cast<int64_t>(1 + rng.NextU64() % 20);
  int64_t lo = 0, hi = 0;
  for (size_t l = 0; l < L; ++l) {
    std::vector<double> c;
    std::vector<int64_t> b;
    for (size_t w = 0; w < W; ++w) {
      c.push_back(rng.Uniform());
      b.push_back(equal_blocks ? shared[w] : static_cast<int64_t>(1 + rng.NextU64() % 50));
    }
    lo += *std::min_element(b.begin(), b.end());
    hi += *std::max_element(b.begin(), b.end());
    p.cost.push_back(std::move(c));
    p.bytes.push_back(std::move(b));
  }
  p.capacity = lo + static_cast<int64_t>(rng.NextU64() % static_cast<uint64_t>(hi - lo + 1));
  return p;
}

TEST(AllocatorTest, MatchesBruteForceOnSmallInstances) {
  Rng rng(12345);
  int checked = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const size_t L = 1 + rng.NextU64() % 7, W = 1 + rng.NextU64() % 4;
    const AllocationProblem p = RandomProblem(rng, L, W, trial % 3 == 0);
    const BruteForce want = Enumerate(p);
    Result<Allocation> got = AllocateOptimal(p);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_NEAR(got->cost, want.cost, kCostTolerance) << "trial " << trial;
    EXPECT_EQ(got->bytes, want.bytes) << "trial " << trial;
    EXPECT_LE(got->bytes, p.capacity);
    // The reported totals are those of the returned choice.
    double cost = 0;
    int64_t bytes = 0;
    for (size_t l = 0; l < L; ++l) {
      cost += p.cost[l][static_cast<size_t>(got->choice[l])];
      bytes += p.bytes[l][static_cast<size_t>(got->choice[l])];
    }
    EXPECT_NEAR(cost, got->cost, kCostTolerance);
    EXPECT_EQ(bytes, got->bytes);
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

TEST(AllocatorTest, LargeEqualBlocksStaySmallAndExact) {
  // 36 blocks × {2,3,4,8} of a 0.5B-like block: the front stays tiny (distinct totals only).
  AllocationProblem p;
  const int64_t n = 7 * 1024 * 1024;
  for (int l = 0; l < 36; ++l) {
    p.cost.push_back({1.0 / (l + 1), 0.7 / (l + 1), 0.25 / (l + 1), 0.01 / (l + 1)});
    p.bytes.push_back({n * 2 / 8, n * 3 / 8, n * 4 / 8, n * 8 / 8});
  }
  p.capacity = 36 * n * 2 / 8 + 2 * n / 8;  // one block's worth of 2 extra bits
  Result<Allocation> a = AllocateOptimal(p);
  ASSERT_TRUE(a.ok()) << a.status().message();
  // Two extra bits go where they save most: block 0 at 4 bits (0.75, vs 0.45 for blocks 0
  // and 1 at 3 bits).
  EXPECT_EQ(a->choice[0], 2);
  for (int l = 1; l < 36; ++l) EXPECT_EQ(a->choice[static_cast<size_t>(l)], 0) << l;
}

TEST(AllocatorTest, ErrorsAreClear) {
  AllocationProblem p;
  EXPECT_FALSE(AllocateOptimal(p).ok());  // no blocks
  p.cost = {{1, 0}};
  p.bytes = {{10, 20}};
  p.capacity = 9;
  Result<Allocation> a = AllocateOptimal(p);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("infeasible"), std::string::npos);
  p.capacity = 20;
  p.cost = {{1, std::nan("")}};
  EXPECT_FALSE(AllocateOptimal(p).ok());
  p.cost = {{1, 0, 2}};
  EXPECT_FALSE(AllocateOptimal(p).ok());  // ragged
  p.cost = {{1, 0}};
  p.bytes = {{10, -1}};
  EXPECT_FALSE(AllocateOptimal(p).ok());
}

}  // namespace
}  // namespace lieq
