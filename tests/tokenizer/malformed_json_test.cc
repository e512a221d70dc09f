// Malformed or unsupported tokenizer.json / tokenizer_config.json files: each is a clear error
// naming the file, never a crash or an exception.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/mapped_file.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace {

const std::string kData = LIEQ_TOKENIZER_TEST_DATA;

// A tokenizer.json built from parts: the "model" object, the "pre_tokenizer" value and extra
// top-level members (", \"key\": value").
std::string Json(const std::string& model,
                 const std::string& pre_tokenizer =
                     R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})",
                 const std::string& extra = "") {
  return R"({"version": "1.0", "normalizer": null, "pre_tokenizer": )" + pre_tokenizer +
         R"(, "model": )" + model + extra + "}";
}

// A byte-level vocabulary: the 256 alphabet characters as a JSON object body.
std::string AlphabetVocab() {
  Result<TokenizerSpec> spec = LoadTokenizerJson(kData + "/tiny_bytelevel/tokenizer.json");
  EXPECT_TRUE(spec.ok());
  nlohmann::json vocab = nlohmann::json::object();
  for (int i = 0; i < 256; ++i) vocab[spec->tokens[i]] = i;
  return vocab.dump();
}

std::string Model(const std::string& vocab, const std::string& merges,
                  const std::string& type = "\"BPE\"") {
  return R"({"type": )" + type + R"(, "vocab": )" + vocab + R"(, "merges": )" + merges + "}";
}

void ExpectError(std::string_view json, StatusCode code, const std::string& fragment,
                 std::string_view config = {}) {
  Result<TokenizerSpec> spec =
      ParseTokenizerJson(json, "dir/tokenizer.json", config, "dir/tokenizer_config.json");
  ASSERT_FALSE(spec.ok()) << "expected an error mentioning '" << fragment << "'";
  EXPECT_EQ(spec.status().code(), code) << spec.status().message();
  EXPECT_NE(spec.status().message().find(fragment), std::string::npos) << spec.status().message();
  const std::string file = config.empty() ? "dir/tokenizer.json" : "dir/tokenizer_config.json";
  EXPECT_EQ(spec.status().message().rfind(file + ": ", 0), 0u) << spec.status().message();
}

TEST(MalformedJsonTest, TheMinimalFileIsValid) {
  Result<TokenizerSpec> spec =
      ParseTokenizerJson(Json(Model(AlphabetVocab(), "[]")), "dir/tokenizer.json");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->tokens.size(), 256u);
  EXPECT_TRUE(Tokenizer::Create(*spec).ok());
}

TEST(MalformedJsonTest, SyntaxAndShape) {
  ExpectError("{", StatusCode::kDataLoss, "not valid JSON");
  ExpectError("", StatusCode::kDataLoss, "not valid JSON");
  ExpectError("[1, 2]", StatusCode::kDataLoss, "not a JSON object");
  ExpectError(R"({"version": "1.0"})", StatusCode::kDataLoss, "\"model\" is missing");
  ExpectError(Json("[]"), StatusCode::kDataLoss, "\"model\" is missing or not an object");
  ExpectError(Json(R"({"type": "BPE", "merges": []})"), StatusCode::kDataLoss, "model.vocab");
  ExpectError(Json(R"({"type": 5, "vocab": {}})"), StatusCode::kDataLoss,
              "model.type is not a string");
}

TEST(MalformedJsonTest, UnsupportedModels) {
  ExpectError(Json(Model("{}", "[]", "\"Unigram\"")), StatusCode::kUnimplemented,
              "model type 'Unigram' is not supported");
  ExpectError(Json(R"({"type": "WordPiece", "vocab": {"a": 0}})"), StatusCode::kUnimplemented,
              "'WordPiece'");
  ExpectError(Json(R"({"type": "BPE", "vocab": {"a": 0}, "merges": [],
                       "continuing_subword_prefix": "##"})"),
              StatusCode::kUnimplemented, "continuing_subword_prefix");
  ExpectError(Json(Model(AlphabetVocab(), "[]"),
                   R"({"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"})"),
              StatusCode::kUnimplemented, "ByteLevel");
  ExpectError(Json(Model(AlphabetVocab(), "[]"),
                   R"({"type": "Sequence", "pretokenizers": [
                         {"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"},
                         {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]})"),
              StatusCode::kUnimplemented, "regex is none of the supported");
  ExpectError(Json(Model(AlphabetVocab(), "[]"), R"({"type": "Whitespace"})"),
              StatusCode::kUnimplemented, "pre-tokenizer 'Whitespace'");
  ExpectError(
      Json(Model(AlphabetVocab(), "[]"), R"({"type": "ByteLevel", "add_prefix_space": true})"),
      StatusCode::kUnimplemented, "add_prefix_space");
  ExpectError(R"({"normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "ByteLevel"},
                  "model": )" +
                  Model(AlphabetVocab(), "[]") + "}",
              StatusCode::kUnimplemented, "normalizer");
}

TEST(MalformedJsonTest, BadVocabularies) {
  ExpectError(Json(Model(R"({"a": -1})", "[]")), StatusCode::kDataLoss, "token 'a' has id -1");
  ExpectError(Json(Model(R"({"a": "zero"})", "[]")), StatusCode::kDataLoss, "token 'a'");
  ExpectError(Json(Model(R"({"a": 1e30})", "[]")), StatusCode::kDataLoss, "token 'a'");
  ExpectError(Json(Model(R"({"a": 99999999999})", "[]")), StatusCode::kDataLoss, "token 'a'");
  ExpectError(Json(Model(R"({"a": 0, "b": 0})", "[]")), StatusCode::kDataLoss, "share id 0");
  ExpectError(Json(Model(AlphabetVocab(), "[]"), "null", R"(, "added_tokens": 3)"),
              StatusCode::kDataLoss, "added_tokens is not an array");
  ExpectError(Json(Model(AlphabetVocab(), "[]"), "null", R"(, "added_tokens": [{"id": 300}])"),
              StatusCode::kDataLoss, "added_tokens[0] has no content");
  ExpectError(
      Json(Model(AlphabetVocab(), "[]"), "null", R"(, "added_tokens": [{"content": "<x>"}])"),
      StatusCode::kDataLoss, "added_tokens[0].id");
}

TEST(MalformedJsonTest, BadMerges) {
  const std::string v = AlphabetVocab();
  ExpectError(Json(Model(v, R"(["a zz"])")), StatusCode::kDataLoss,
              "model.merges[0] names 'zz', which is not in the vocabulary");
  ExpectError(Json(Model(v, R"([["a", "b"]])")), StatusCode::kDataLoss,
              "merged token 'ab' is not in the vocabulary");
  ExpectError(Json(Model(v, R"(["ab"])")), StatusCode::kDataLoss, "not two tokens");
  ExpectError(Json(Model(v, R"(["a b c"])")), StatusCode::kDataLoss, "not two tokens");
  ExpectError(Json(Model(v, R"([["a"]])")), StatusCode::kDataLoss, "neither");
  ExpectError(Json(Model(v, R"([7])")), StatusCode::kDataLoss, "neither");
  ExpectError(Json(Model(v, R"({"a": "b"})")), StatusCode::kDataLoss, "merges is not an array");
}

TEST(MalformedJsonTest, BadConfigs) {
  const std::string good = Json(Model(AlphabetVocab(), "[]"));
  ExpectError(good, StatusCode::kDataLoss, "not valid JSON", "{nope");
  ExpectError(good, StatusCode::kDataLoss, "not a JSON object", "[]");
  ExpectError(good, StatusCode::kDataLoss, "bos_token '<s>' is not in the vocabulary",
              R"({"bos_token": "<s>"})");
  ExpectError(good, StatusCode::kDataLoss, "eos_token is neither", R"({"eos_token": 5})");
  ExpectError(good, StatusCode::kDataLoss, "add_bos_token is not true/false",
              R"({"add_bos_token": "yes"})");
  ExpectError(good, StatusCode::kDataLoss, "chat_template", R"({"chat_template": 1})");
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(MalformedJsonTest, FilesOnDisk) {
  const std::string dir = testing::TempDir();
  Result<TokenizerSpec> missing = LoadTokenizerJson(dir + "/none.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir + "/none.json"), std::string::npos);

  // A bad tokenizer_config.json beside a good tokenizer.json is reported by its own name.
  Result<std::string> tiny = ReadTextFile(kData + "/tiny_bytelevel/tokenizer.json");
  ASSERT_TRUE(tiny.ok());
  WriteFile(dir + "/tokenizer.json", *tiny);
  WriteFile(dir + "/tokenizer_config.json", "");
  Result<TokenizerSpec> spec = LoadTokenizerJson(dir + "/tokenizer.json");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find(dir + "/tokenizer_config.json: empty"), std::string::npos)
      << spec.status().message();

  // Chat template from chat_template.jinja when the config has none.
  WriteFile(dir + "/tokenizer_config.json", R"({"add_bos_token": false})");
  WriteFile(dir + "/chat_template.jinja", "{{ messages }}");
  spec = LoadTokenizerJson(dir + "/tokenizer.json");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->chat_template, "{{ messages }}");

  // Truncated file.
  WriteFile(dir + "/tokenizer.json", tiny->substr(0, tiny->size() / 2));
  spec = LoadTokenizerJson(dir + "/tokenizer.json");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("not valid JSON"), std::string::npos);
}

// Random byte damage to the hand-made files: whatever happens must be a Status (or a usable
// tokenizer), never a crash, hang or exception.
TEST(MalformedJsonTest, SurvivesRandomDamage) {
  constexpr int kMutations = 300;  // enough to hit keys, numbers, strings and brackets
  std::mt19937 rng(1234);
  int errors = 0;
  for (const char* name : {"/tiny_spm/tokenizer.json", "/tiny_bytelevel/tokenizer.json"}) {
    Result<std::string> original = ReadTextFile(kData + name);
    ASSERT_TRUE(original.ok());
    for (int i = 0; i < kMutations; ++i) {
      std::string text = *original;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = rng() % text.size();
        switch (rng() % 3) {
          case 0:
            text[pos] = static_cast<char>(rng() % 256);
            break;
          case 1:
            text.erase(pos, 1 + rng() % 8);
            break;
          default:
            text.insert(pos, 1, "{}[]\",:0-9e"[rng() % 12]);
            break;
        }
        if (text.empty()) text.push_back('{');
      }
      Result<TokenizerSpec> spec = ParseTokenizerJson(text, name);
      if (!spec.ok()) {
        ++errors;
        EXPECT_FALSE(spec.status().message().empty());
        continue;
      }
      Result<Tokenizer> tok = Tokenizer::Create(*spec);
      if (!tok.ok()) {
        ++errors;
        continue;
      }
      Result<std::vector<int32_t>> ids = tok->Encode("hello world <s> \xC3\xA9!", true);
      if (ids.ok()) (void)tok->Decode(*ids);
    }
  }
  std::printf("random damage: %d of %d variants rejected with an error\n", errors, 2 * kMutations);
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace lieq
