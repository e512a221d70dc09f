// Llama-2 style SentencePiece BPE, on a hand-made tokenizer.json (data/tiny_spm): 256 byte
// tokens, 16 characters and 24 merges learned from one sentence. Expected ids were produced by
// Hugging Face tokenizers (Rust) from the same file.
#include <gtest/gtest.h>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace {

const std::string kTinySpm = std::string(LIEQ_TOKENIZER_TEST_DATA) + "/tiny_spm/tokenizer.json";

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

// Ids as Hugging Face tokenizers gives them (add_special_tokens=False).
const Case kCases[] = {
    {"hello world", {287, 283}},
    {" hello  world ", {274, 287, 274, 283, 274}},
    {"the cat sat on the mat", {277, 274, 260, 278, 291, 298, 277, 274, 266, 278}},
    // é, ☃ and 🙂 are not in the vocabulary: their UTF-8 bytes become <0xHH> tokens.
    {"th\xC3\xA9\xC3\xA2tre \xE2\x98\x83 \xF0\x9F\x99\x82",
     {276, 263, 198, 172, 198, 165, 271, 269, 262, 274, 229, 155, 134, 274, 243, 162, 156, 133}},
    {"", {}},
    {" ", {274, 274}},
    {"a\nb\tc", {274, 259, 13, 101, 12, 260}},
    {"round the world there", {296, 277, 283, 289}},
    // Special tokens in the text; each text piece after one gets its own "▁" prefix.
    {"hello<s>world", {287, 1, 283}},
    {"<unk> and </s>", {0, 274, 274, 259, 267, 261, 274, 2}},
};

Tokenizer LoadTiny(bool drop_merges = false) {
  Result<TokenizerSpec> spec = LoadTokenizerJson(kTinySpm);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  if (drop_merges) spec->merges.clear();  // as a GGUF "llama" file: scores only
  Result<Tokenizer> tok = Tokenizer::Create(*spec);
  EXPECT_TRUE(tok.ok()) << tok.status().message();
  return *tok;
}

TEST(SentencePieceTest, LoadsTheSpec) {
  Result<TokenizerSpec> spec = LoadTokenizerJson(kTinySpm);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->kind, TokenizerSpec::Kind::kSentencePieceBpe);
  EXPECT_EQ(spec->tokens.size(), 299u);
  EXPECT_EQ(spec->merges.size(), 24u);
  EXPECT_EQ(spec->merges[0], "h e");
  EXPECT_TRUE(spec->add_space_prefix);
  EXPECT_FALSE(spec->nfc);
  // From tokenizer_config.json beside it.
  EXPECT_EQ(spec->bos_id, 1);
  EXPECT_EQ(spec->eos_id, 2);
  EXPECT_EQ(spec->unk_id, 0);
  EXPECT_TRUE(spec->add_bos);
  EXPECT_FALSE(spec->add_eos);
  EXPECT_FALSE(spec->chat_template.empty());
  EXPECT_EQ(spec->types[0], TokenType::kUnknown);
  EXPECT_EQ(spec->types[1], TokenType::kControl);
  EXPECT_EQ(spec->types[3], TokenType::kByte);  // <0x00>
  EXPECT_EQ(spec->tokens[3], "<0x00>");
  EXPECT_EQ(spec->types[260], TokenType::kNormal);
  // Scores are -rank of the merge forming the token: "he" (first merge) scores highest.
  ASSERT_EQ(spec->scores.size(), spec->tokens.size());
  EXPECT_EQ(spec->tokens[275], "he");
  EXPECT_EQ(spec->scores[275], 0.0f);
  EXPECT_EQ(spec->scores[3], -24.0f);  // formed by no merge: below every merge
}

TEST(SentencePieceTest, MatchesHuggingFace) {
  const Tokenizer tok = LoadTiny();
  for (const Case& c : kCases) {
    Result<std::vector<int32_t>> ids = tok.Encode(c.text, /*add_special=*/false);
    ASSERT_TRUE(ids.ok()) << ids.status().message();
    EXPECT_EQ(*ids, c.ids) << "text: '" << c.text << "'";
  }
}

TEST(SentencePieceTest, ScoreMergingWithoutMergesGivesTheSameIds) {
  const Tokenizer tok = LoadTiny(/*drop_merges=*/true);
  for (const Case& c : kCases) {
    Result<std::vector<int32_t>> ids = tok.Encode(c.text, false);
    ASSERT_TRUE(ids.ok()) << ids.status().message();
    EXPECT_EQ(*ids, c.ids) << "text: '" << c.text << "'";
  }
}

TEST(SentencePieceTest, AddsBosWhenAsked) {
  const Tokenizer tok = LoadTiny();
  EXPECT_TRUE(tok.add_bos());
  Result<std::vector<int32_t>> ids = tok.Encode("hello world", /*add_special=*/true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{1, 287, 283}));
}

TEST(SentencePieceTest, DecodesBytesSpacesAndSpecials) {
  const Tokenizer tok = LoadTiny();
  for (const Case& c : kCases) {
    if (c.text.find('<') != std::string::npos) continue;  // checked below
    EXPECT_EQ(tok.Decode(c.ids), c.text);
  }
  // As Hugging Face: only the first "▁" prefix is taken off again.
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{287, 1, 283}), "hello<s> world");
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{1, 287, 283}), "<s> hello world");
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{1, 287, 283}, /*skip_special=*/true), "hello world");
  EXPECT_EQ(tok.TokenPiece(287), " hello");  // streaming keeps the space
  EXPECT_EQ(tok.TokenPiece(198), "\xC3");    // <0xC3>: half of "é"
  EXPECT_EQ(tok.TokenPiece(1), "<s>");
}

}  // namespace
}  // namespace lieq
