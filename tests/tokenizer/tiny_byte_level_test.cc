// Byte-level BPE on a hand-made tokenizer.json (data/tiny_bytelevel): GPT-2's 256-byte alphabet,
// 10 merges in [left, right] form, NFC, GPT-2's built-in regex, and added tokens with
// lstrip/rstrip/single_word flags. Expected ids were produced by Hugging Face tokenizers (Rust)
// from the same file.
#include <gtest/gtest.h>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace {

const std::string kTiny = std::string(LIEQ_TOKENIZER_TEST_DATA) + "/tiny_bytelevel/tokenizer.json";

// Ids of the added tokens in the file.
constexpr int32_t kEndOfText = 266;  // <|endoftext|>, special
constexpr int32_t kMask = 267;       // <mask>, special, lstrip + rstrip
constexpr int32_t kWord = 268;       // <w>, not special, single_word
constexpr int32_t kEnd = 269;        // <|end|>, special
constexpr int32_t kEndX = 270;       // <|end|>x, not special: longer than <|end|>

Tokenizer LoadTiny() {
  Result<TokenizerSpec> spec = LoadTokenizerJson(kTiny);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  Result<Tokenizer> tok = Tokenizer::Create(*spec);
  EXPECT_TRUE(tok.ok()) << tok.status().message();
  return *tok;
}

std::vector<int32_t> Ids(const Tokenizer& tok, std::string_view text, bool parse_special = true) {
  Result<std::vector<int32_t>> ids = tok.Encode(text, false, parse_special);
  EXPECT_TRUE(ids.ok()) << ids.status().message();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

using Ids_ = std::vector<int32_t>;

TEST(TinyByteLevelTest, LoadsTheSpec) {
  Result<TokenizerSpec> spec = LoadTokenizerJson(kTiny);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->kind, TokenizerSpec::Kind::kByteLevelBpe);
  EXPECT_EQ(spec->pre, "gpt2");
  EXPECT_TRUE(spec->nfc);
  EXPECT_EQ(spec->tokens.size(), 271u);
  EXPECT_EQ(spec->merges.front(), "\xC4\xA0 w");  // "Ġ w", from the pair form
  EXPECT_EQ(spec->types[kEndOfText], TokenType::kControl);
  EXPECT_EQ(spec->types[kWord], TokenType::kUserDefined);
  EXPECT_EQ(spec->added_token_flags.size(), 2u);
  EXPECT_TRUE(spec->scores.empty());
  EXPECT_EQ(spec->bos_id, -1);  // no config, no template
  EXPECT_FALSE(spec->add_bos);
}

TEST(TinyByteLevelTest, MatchesHuggingFace) {
  const Tokenizer tok = LoadTiny();
  EXPECT_EQ(Ids(tok, "hello world"), (Ids_{264, 260}));
  EXPECT_EQ(Ids(tok, "  hello\n\n world  "), (Ids_{32, 265, 10, 10, 260, 32, 32}));
  EXPECT_EQ(Ids(tok, "hello<|endoftext|> world"), (Ids_{264, kEndOfText, 260}));
  // NFC: "e" + combining acute becomes "é" (bytes C3 A9) before BPE.
  EXPECT_EQ(Ids(tok, "\xC3\xA9 e\xCC\x81"), (Ids_{195, 169, 32, 195, 169}));
}

TEST(TinyByteLevelTest, StripFlagsSwallowSurroundingSpaces) {
  const Tokenizer tok = LoadTiny();
  EXPECT_EQ(Ids(tok, "a <mask> b"), (Ids_{97, kMask, 98}));
  EXPECT_EQ(Ids(tok, "a<mask>b"), (Ids_{97, kMask, 98}));
  EXPECT_EQ(Ids(tok, "x  <mask>  y"), (Ids_{120, kMask, 121}));
}

TEST(TinyByteLevelTest, SingleWordTokensMatchOnlyOutsideWords) {
  const Tokenizer tok = LoadTiny();
  EXPECT_EQ(Ids(tok, "<w> a<w> <w>b <w>"),
            (Ids_{kWord, 32, 97, 60, 119, 62, 32, 60, 119, 62, 98, 32, kWord}));
}

TEST(TinyByteLevelTest, LongestAddedTokenWins) {
  const Tokenizer tok = LoadTiny();
  EXPECT_EQ(Ids(tok, "<|end|>x <|end|>"), (Ids_{kEndX, 32, kEnd}));
}

TEST(TinyByteLevelTest, ParseSpecialFalseKeepsControlTextAsText) {
  const Tokenizer tok = LoadTiny();
  const std::vector<int32_t> ids = Ids(tok, "a<|endoftext|><w>", /*parse_special=*/false);
  for (int32_t id : ids) EXPECT_NE(id, kEndOfText);
  EXPECT_EQ(ids.back(), kWord);  // user-defined tokens still match
  EXPECT_EQ(tok.Decode(ids), "a<|endoftext|><w>");
}

TEST(TinyByteLevelTest, DecodeWritesAddedTokensAsText) {
  const Tokenizer tok = LoadTiny();
  EXPECT_EQ(tok.Decode(Ids_{97, kMask, 98}), "a<mask>b");
  EXPECT_EQ(tok.Decode(Ids_{97, kMask, 98}, /*skip_special=*/true), "ab");
  EXPECT_EQ(tok.Decode(Ids_{kWord}, /*skip_special=*/true), "<w>");  // user-defined stays
  EXPECT_EQ(tok.TokenPiece(260), " world");
  EXPECT_EQ(tok.TokenPiece(195), "\xC3");  // half a character
  EXPECT_EQ(tok.TokenId("hello"), 264);
  EXPECT_EQ(tok.TokenId("nope"), -1);
}

}  // namespace
}  // namespace lieq
