// The named regex pre-tokenizers.
#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

namespace lieq {
namespace {

std::vector<std::string> SplitWith(std::string_view name, std::string_view text) {
  Result<PreTokenizer> pre = PreTokenizer::Create(name);
  EXPECT_TRUE(pre.ok()) << pre.status().message();
  if (!pre.ok()) return {};
  std::vector<std::string_view> pieces;
  EXPECT_TRUE(pre->Split(text, &pieces).ok());
  return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

TEST(PreTokenizerTest, Qwen2SplitsDigitsOneByOne) {
  EXPECT_EQ(SplitWith("qwen2", "I've 12345 apples!\n\n  ok"),
            (Pieces{"I", "'ve", " ", "1", "2", "3", "4", "5", " apples", "!\n\n", " ", " ok"}));
  EXPECT_EQ(SplitWith("deepseek-r1-qwen", "ab 12"), (Pieces{"ab", " ", "1", "2"}));
}

TEST(PreTokenizerTest, Llama3GroupsDigitsByThree) {
  EXPECT_EQ(SplitWith("llama-bpe", "12345 HE'LL"), (Pieces{"123", "45", " HE", "'LL"}));
}

TEST(PreTokenizerTest, Gpt2KeepsTheSpaceWithTheWord) {
  EXPECT_EQ(SplitWith("gpt2", "Hello  world 42!"), (Pieces{"Hello", " ", " world", " 42", "!"}));
  EXPECT_EQ(SplitWith("default", "a b"), (Pieces{"a", " b"}));
}

TEST(PreTokenizerTest, PiecesCoverTheWholeText) {
  const std::string text =
      "\xE2\x80\x83x\t\r\n\xF0\x9F\x99\x82\xF0\x9F\x99\x82 \xE4\xBD\xA0\xE5\xA5\xBD";
  std::string joined;
  for (const std::string& p : SplitWith("qwen2", text)) joined += p;
  EXPECT_EQ(joined, text);
  EXPECT_TRUE(SplitWith("qwen2", "").empty());
}

TEST(PreTokenizerTest, NamesAndRegexesMatch) {
  EXPECT_EQ(PreTokenizerNameForRegex(PreTokenizerRegex("qwen2")), "qwen2");
  EXPECT_EQ(PreTokenizerNameForRegex(PreTokenizerRegex("llama3")), "llama-bpe");
  EXPECT_EQ(PreTokenizerNameForRegex("\\w+"), "");
  Result<PreTokenizer> unknown = PreTokenizer::Create("falcon");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(unknown.status().message().find("'falcon'"), std::string::npos);
}

}  // namespace
}  // namespace lieq
