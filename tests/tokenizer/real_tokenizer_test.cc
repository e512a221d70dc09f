// The real Qwen3 and Llama-3 tokenizer.json files (shared/tokenizers): what the loader reads,
// special tokens in text, and WikiText-2 (ids identical to Hugging Face tokenizers, and speed).
#include <gtest/gtest.h>

#include <chrono>

#include "core/mapped_file.h"
#include "test_util.h"
#include "tokenizer/nfc.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace {

// The brief's budget for tokenizing WikiText-2's test split (1.29 MB); about 0.1 s is typical.
constexpr double kMaxWikiTextSeconds = 2.0;

Tokenizer Load(const std::string& model) {
  Result<TokenizerSpec> spec =
      LoadTokenizerJson(testing::SharedDir() + "/tokenizers/" + model + "/tokenizer.json");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  Result<Tokenizer> tok = Tokenizer::Create(std::move(*spec));
  EXPECT_TRUE(tok.ok()) << tok.status().message();
  return std::move(*tok);
}

std::vector<int32_t> Ids(const Tokenizer& tok, std::string_view text, bool add_special = false) {
  Result<std::vector<int32_t>> ids = tok.Encode(text, add_special);
  EXPECT_TRUE(ids.ok()) << ids.status().message();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

using IdList = std::vector<int32_t>;

// FNV-1a over the ids (each as one 32-bit value): a compact fingerprint of a long id list.
uint64_t Fingerprint(const std::vector<int32_t>& ids) {
  uint64_t h = 1469598103934665603ull;
  for (int32_t id : ids) {
    h ^= static_cast<uint32_t>(id);
    h *= 1099511628211ull;
  }
  return h;
}

TEST(RealTokenizerTest, Qwen3Spec) {
  const Tokenizer tok = Load("qwen3");
  const TokenizerSpec& s = tok.spec();
  EXPECT_EQ(s.kind, TokenizerSpec::Kind::kByteLevelBpe);
  EXPECT_EQ(s.pre, "qwen2");
  EXPECT_TRUE(s.nfc);
  EXPECT_EQ(s.tokens.size(), 151669u);  // 151643 + 26 added
  EXPECT_EQ(s.merges.size(), 151387u);
  EXPECT_EQ(s.bos_id, -1);  // bos_token null in tokenizer_config.json
  EXPECT_FALSE(tok.add_bos());
  EXPECT_EQ(s.eos_id, 151645);  // <|im_end|>
  EXPECT_EQ(s.pad_id, 151643);  // <|endoftext|>
  EXPECT_EQ(s.types[151643], TokenType::kControl);
  EXPECT_EQ(s.types[151667], TokenType::kUserDefined);  // <think>
  EXPECT_EQ(s.tokens[151667], "<think>");
  EXPECT_NE(s.chat_template.find("<|im_start|>"), std::string::npos);
}

TEST(RealTokenizerTest, Llama3Spec) {
  const Tokenizer tok = Load("llama3");
  const TokenizerSpec& s = tok.spec();
  EXPECT_EQ(s.pre, "llama-bpe");
  EXPECT_FALSE(s.nfc);
  EXPECT_EQ(s.tokens.size(), 128256u);
  EXPECT_EQ(s.merges.size(), 280147u);
  EXPECT_EQ(s.bos_id, 128000);  // <|begin_of_text|>, added by the TemplateProcessing
  EXPECT_TRUE(tok.add_bos());
  EXPECT_EQ(s.eos_id, 128009);  // <|eot_id|> from tokenizer_config.json
  EXPECT_FALSE(s.chat_template.empty());
}

TEST(RealTokenizerTest, SpecialTokensInText) {
  // Expected ids from Hugging Face tokenizers on the same files.
  const Tokenizer qwen = Load("qwen3");
  const std::string chat = "<|im_start|>user\nHello, world!<|im_end|>\n<|im_start|>assistant\n";
  EXPECT_EQ(Ids(qwen, chat),
            (IdList{151644, 872, 198, 9707, 11, 1879, 0, 151645, 198, 151644, 77091, 198}));
  EXPECT_EQ(Ids(qwen, "<think>\n\n</think>\n\nOK"), (IdList{151667, 271, 151668, 271, 3925}));
  EXPECT_EQ(qwen.Decode(Ids(qwen, chat)), chat);
  EXPECT_EQ(Ids(qwen, "Hi", /*add_special=*/true), (IdList{13048}));  // Qwen adds no BOS
  // Without parsing specials the markup is plain text.
  Result<std::vector<int32_t>> plain = qwen.Encode(chat, false, /*parse_special=*/false);
  ASSERT_TRUE(plain.ok());
  for (int32_t id : *plain) EXPECT_LT(id, 151643);
  EXPECT_EQ(qwen.Decode(*plain), chat);

  const Tokenizer llama = Load("llama3");
  EXPECT_EQ(Ids(llama, "<|begin_of_text|>Hi<|eot_id|>"), (IdList{128000, 13347, 128009}));
  EXPECT_EQ(Ids(llama,
                "Gr\xC3\xBC\xC3\x9F"
                "e aus K\xC3\xB6ln: 12345 apples",
                true),
            (IdList{128000, 6600, 2448, 24352, 9608, 65994, 2312, 25, 220, 4513, 1774, 41776}));
  // Qwen's vocabulary does not know Llama's markup: it is plain text there.
  EXPECT_EQ(Ids(llama, "<think>\n\n</think>\n\nOK"),
            (IdList{14023, 771, 1363, 524, 27963, 1363, 4012}));
}

TEST(RealTokenizerTest, RoundTripsAfterNfc) {
  const Tokenizer qwen = Load("qwen3");
  const Tokenizer llama = Load("llama3");
  const std::string samples[] = {
      "Cafe\xCC\x81 na\xC3\xAFve \xE2\x84\xAB \xEF\xAC\x81",  // decomposed é, Angstrom, ﬁ
      "  leading and trailing  \n\t\r\n",
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 family",
      "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C 123456789",
      std::string("nul\0byte", 8),
      "",
  };
  for (const std::string& s : samples) {
    EXPECT_EQ(qwen.Decode(Ids(qwen, s)), *NfcNormalize(s));
    EXPECT_EQ(llama.Decode(Ids(llama, s)), s);  // Llama-3 does not normalise
  }
}

// WikiText-2 test split, raw file as is, no BOS. Reference counts and fingerprints come from
// Hugging Face tokenizers (Rust) on the same tokenizer.json files: the ids are identical.
void CheckWikiText(const std::string& model, size_t expected_count, uint64_t expected_print) {
  const Tokenizer tok = Load(model);
  Result<std::string> text = ReadTextFile(testing::SharedDir() + "/data/eval/wikitext2-test.raw");
  ASSERT_TRUE(text.ok()) << text.status().message();
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<int32_t>> ids = tok.Encode(*text, false);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(ids.ok()) << ids.status().message();
  std::printf("%s: WikiText-2 test (%zu bytes) -> %zu tokens in %.3f s\n", model.c_str(),
              text->size(), ids->size(), seconds);
  EXPECT_EQ(ids->size(), expected_count);
  EXPECT_EQ(Fingerprint(*ids), expected_print);
  EXPECT_EQ(tok.Decode(*ids), *text);  // already NFC, so exact for Qwen too
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(seconds, kMaxWikiTextSeconds);  // timing only means something in optimised builds
#endif
}

TEST(RealTokenizerTest, WikiTextQwen3) { CheckWikiText("qwen3", 299078, 0x2fe012fafb00b588ull); }

TEST(RealTokenizerTest, WikiTextLlama3) { CheckWikiText("llama3", 289076, 0x871211f7017c906full); }

}  // namespace
}  // namespace lieq
