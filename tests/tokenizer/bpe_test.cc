// The two merge procedures: by merge rank and by token score.
#include <gtest/gtest.h>

#include "tokenizer/bpe_ranks.h"
#include "tokenizer/spm_merge.h"

namespace lieq {
namespace {

TEST(BpeRanksTest, LowestRankFirstThenLeftmost) {
  // Tokens: 0 a, 1 b, 2 c, 3 ab, 4 bc, 5 abc, 6 aa, 7 aaaa.
  BpeRanks ranks;
  ranks.Add(1, 2, 4);                // b c -> bc  (rank 0)
  ranks.Add(0, 1, 3);                // a b -> ab  (rank 1)
  ranks.Add(0, 4, 5);                // a bc -> abc (rank 2)
  ranks.Add(0, 0, 6);                // a a -> aa  (rank 3)
  ranks.Add(6, 6, 7);                // aa aa -> aaaa (rank 4)
  EXPECT_FALSE(ranks.Add(1, 2, 3));  // a repeated pair keeps its first rank
  EXPECT_EQ(ranks.size(), 5u);

  std::vector<int32_t> abc = {0, 1, 2};  // "bc" outranks "ab": a + bc -> abc
  ranks.Apply(&abc);
  EXPECT_EQ(abc, (std::vector<int32_t>{5}));

  std::vector<int32_t> aaa = {0, 0, 0};  // equal ranks: the leftmost pair merges first
  ranks.Apply(&aaa);
  EXPECT_EQ(aaa, (std::vector<int32_t>{6, 0}));

  std::vector<int32_t> aaaa = {0, 0, 0, 0};
  ranks.Apply(&aaaa);
  EXPECT_EQ(aaaa, (std::vector<int32_t>{7}));

  std::vector<int32_t> none = {2, 1, 0};  // c b a: no merges apply
  ranks.Apply(&none);
  EXPECT_EQ(none, (std::vector<int32_t>{2, 1, 0}));

  std::vector<int32_t> empty;
  ranks.Apply(&empty);
  EXPECT_TRUE(empty.empty());
}

TEST(SpmMergeTest, HighestScoreFirst) {
  const std::vector<std::string> tokens = {"a", "b", "c", "ab", "bc", "abc"};
  const std::vector<float> scores = {0, 0, 0, -2, -1, -3};
  TokenIndex index;
  index.Build(tokens);
  std::vector<std::string_view> pieces;
  SpmMergeByScore("abc", index, scores, &pieces);  // "bc" scores higher than "ab"
  EXPECT_EQ(pieces, (std::vector<std::string_view>{"abc"}));
  pieces.clear();
  SpmMergeByScore("abx\xC3\xA9", index, scores, &pieces);  // unknown characters stay single
  EXPECT_EQ(pieces, (std::vector<std::string_view>{"ab", "x", "\xC3\xA9"}));
}

}  // namespace
}  // namespace lieq
