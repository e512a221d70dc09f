// Tokenizer::Create on specs as a GGUF file could hold them, including hostile ones: every
// problem is a clear error, never a crash.
#include <gtest/gtest.h>

#include <cmath>

#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer.h"

namespace lieq {
namespace {

// A byte-level spec with the 256 byte tokens and merges "h e", "l l", "he ll", "hell o".
TokenizerSpec ByteSpec() {
  TokenizerSpec spec;
  spec.kind = TokenizerSpec::Kind::kByteLevelBpe;
  spec.pre = "qwen2";
  for (int b = 0; b < 256; ++b) spec.tokens.push_back(ToByteLevel(std::string(1, char(b))));
  for (const char* t : {"he", "ll", "hell", "hello"}) spec.tokens.push_back(t);
  spec.merges = {"h e", "l l", "he ll", "hell o"};
  spec.tokens.push_back("<|eot|>");
  spec.types.assign(spec.tokens.size(), TokenType::kNormal);
  spec.types.back() = TokenType::kControl;
  spec.eos_id = static_cast<int32_t>(spec.tokens.size()) - 1;
  return spec;
}

void ExpectCreateError(const TokenizerSpec& spec, const std::string& fragment) {
  Result<Tokenizer> tok = Tokenizer::Create(spec);
  ASSERT_FALSE(tok.ok()) << "expected an error mentioning '" << fragment << "'";
  EXPECT_NE(tok.status().message().find(fragment), std::string::npos) << tok.status().message();
  EXPECT_EQ(tok.status().message().rfind("tokenizer:", 0), 0u) << tok.status().message();
}

TEST(SpecTest, BuildsFromAGgufLikeSpec) {
  TokenizerSpec spec = ByteSpec();
  spec.types.clear();  // absent types mean "normal"
  Result<Tokenizer> tok = Tokenizer::Create(spec);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->vocab_size(), 261);
  EXPECT_EQ(*tok->Encode("hello", false), (std::vector<int32_t>{259}));
  EXPECT_EQ(tok->bos_id(), -1);
  EXPECT_FALSE(tok->add_bos());
}

TEST(SpecTest, AddsBosAndEos) {
  TokenizerSpec spec = ByteSpec();
  spec.bos_id = 0;
  spec.add_bos = true;
  spec.add_eos = true;
  Result<Tokenizer> tok = Tokenizer::Create(spec);
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(*tok->Encode("hello", true), (std::vector<int32_t>{0, 259, 260}));
  EXPECT_EQ(*tok->Encode("hello", false), (std::vector<int32_t>{259}));
  EXPECT_EQ(*tok->Encode("", true), (std::vector<int32_t>{0, 260}));
}

TEST(SpecTest, RejectsInvalidUtf8NamingTheOffset) {
  Result<Tokenizer> tok = Tokenizer::Create(ByteSpec());
  ASSERT_TRUE(tok.ok());
  for (const auto& [text, offset] : std::vector<std::pair<std::string, int>>{
           {"hello\xFF", 5}, {"\xC3(", 0}, {"ab\xED\xA0\x80", 2}, {"<|eot|>\x80", 7}}) {
    Result<std::vector<int32_t>> ids = tok->Encode(text, true);
    ASSERT_FALSE(ids.ok());
    EXPECT_EQ(ids.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(ids.status().message().find("byte offset " + std::to_string(offset)),
              std::string::npos)
        << ids.status().message();
  }
}

TEST(SpecTest, DecodeIgnoresIdsOutsideTheVocabulary) {
  Result<Tokenizer> tok = Tokenizer::Create(ByteSpec());
  ASSERT_TRUE(tok.ok());
  // A model's embedding may have more rows than the tokenizer has tokens (Qwen3: 151936).
  EXPECT_EQ(tok->Decode(std::vector<int32_t>{259, -1, 261, 99999, 'a'}), "helloa");
  EXPECT_EQ(tok->TokenPiece(-5), "");
  EXPECT_EQ(tok->TokenPiece(261), "");
}

TEST(SpecTest, HostileSpecsAreErrors) {
  {
    TokenizerSpec spec;
    ExpectCreateError(spec, "empty");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.types.pop_back();
    ExpectCreateError(spec, "token types");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.scores.assign(3, 0.0f);
    ExpectCreateError(spec, "token scores");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.bos_id = 100000;
    ExpectCreateError(spec, "BOS id 100000");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.eos_id = -7;
    ExpectCreateError(spec, "EOS id -7");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.merges.push_back("x zz");
    ExpectCreateError(spec, "not in the vocabulary");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.merges.push_back("e h");  // both known, "eh" is not a token
    ExpectCreateError(spec, "merged token");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.merges.push_back("hello");
    ExpectCreateError(spec, "has no space");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.pre = "mystery";
    ExpectCreateError(spec, "'mystery'");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.tokens[' '] = "not-the-alphabet";  // the byte token for 0x20 ("Ġ") is gone
    ExpectCreateError(spec, "byte 32");
  }
  {
    TokenizerSpec spec = ByteSpec();
    spec.added_token_flags.push_back({.id = 5000, .lstrip = true});
    ExpectCreateError(spec, "5000");
  }
  {
    TokenizerSpec spec;
    spec.kind = TokenizerSpec::Kind::kSentencePieceBpe;
    spec.tokens = {"<unk>", "a"};
    ExpectCreateError(spec, "merges or token scores");
    spec.scores = {0.0f, std::nanf("")};
    ExpectCreateError(spec, "NaN");
  }
}

TEST(SpecTest, SentencePieceWithoutByteTokensFallsBackToUnknown) {
  TokenizerSpec spec;
  spec.kind = TokenizerSpec::Kind::kSentencePieceBpe;
  spec.tokens = {"<unk>", "\xE2\x96\x81", "a",
                 "\xE2\x96\x81"
                 "a"};
  spec.scores = {0, -1, -1, -2};
  spec.types = {TokenType::kUnknown, TokenType::kNormal, TokenType::kNormal, TokenType::kNormal};
  spec.unk_id = 0;
  Result<Tokenizer> tok = Tokenizer::Create(spec);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(*tok->Encode("a b a", false), (std::vector<int32_t>{3, 1, 0, 3}));
  spec.unk_id = -1;  // no way to write "b": an error, not a silent drop
  tok = Tokenizer::Create(spec);
  ASSERT_TRUE(tok.ok());
  EXPECT_FALSE(tok->Encode("a b", false).ok());
}

}  // namespace
}  // namespace lieq
