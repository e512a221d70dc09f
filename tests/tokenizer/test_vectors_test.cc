// llama.cpp's tokenizer test vectors (shared/tokenizers/test-vectors) reproduced exactly.
//
// Format, as llama.cpp's tests/test-tokenizer-0 reads it: the .inp file is the cases, each
// followed by "\n__ggml_vocab_test__\n" (so a case's own trailing newlines are part of it and the
// separator's newline is not); the .out file has one line per case of space-separated ids,
// encoded without BOS/EOS (Hugging Face's add_special_tokens=False).
#include <gtest/gtest.h>

#include <sstream>

#include "core/mapped_file.h"
#include "test_util.h"
#include "tokenizer/nfc.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace {

struct VectorCase {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<VectorCase> ReadVectors(const std::string& stem) {
  Result<std::string> inp = ReadTextFile(stem + ".inp");
  Result<std::string> out = ReadTextFile(stem + ".out");
  EXPECT_TRUE(inp.ok() && out.ok()) << "cannot read " << stem << ".inp/.out";
  if (!inp.ok() || !out.ok()) return {};
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<VectorCase> cases;
  for (size_t pos = 0; pos < inp->size();) {
    const size_t next = inp->find(sep, pos);
    cases.push_back({inp->substr(pos, next == std::string::npos ? next : next - pos), {}});
    if (next == std::string::npos) break;
    pos = next + sep.size();
  }
  std::istringstream lines(*out);
  std::string line;
  size_t i = 0;
  for (; std::getline(lines, line); ++i) {
    if (i >= cases.size()) break;
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) cases[i].ids.push_back(id);
  }
  EXPECT_EQ(i, cases.size()) << stem << ": .inp and .out disagree on the number of cases";
  return cases;
}

// Checks every case of `vectors` with the tokenizer.json in shared/tokenizers/`model`, using
// pre-tokenizer `pre` (as a GGUF file would name it). Returns the number of cases checked.
int CheckVectors(const std::string& vectors, const std::string& model, const std::string& pre,
                 bool nfc_round_trip) {
  const std::string shared = testing::SharedDir();
  Result<TokenizerSpec> spec =
      LoadTokenizerJson(shared + "/tokenizers/" + model + "/tokenizer.json");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  if (!spec.ok()) return 0;
  spec->pre = pre;
  Result<Tokenizer> tok = Tokenizer::Create(std::move(*spec));
  EXPECT_TRUE(tok.ok()) << tok.status().message();
  if (!tok.ok()) return 0;

  const std::vector<VectorCase> cases =
      ReadVectors(shared + "/tokenizers/test-vectors/ggml-vocab-" + vectors + ".gguf");
  EXPECT_GE(cases.size(), 40u) << "suspiciously few cases";
  int checked = 0;
  for (const VectorCase& c : cases) {
    Result<std::vector<int32_t>> ids = tok->Encode(c.text, /*add_special=*/false);
    EXPECT_TRUE(ids.ok()) << ids.status().message();
    if (!ids.ok()) continue;
    EXPECT_EQ(*ids, c.ids) << vectors << " case " << checked << ": '" << c.text << "'";
    const std::string expected = nfc_round_trip ? *NfcNormalize(c.text) : c.text;
    EXPECT_EQ(tok->Decode(*ids), expected) << vectors << " round trip of case " << checked;
    ++checked;
  }
  std::printf("%s: %d test-vector cases checked (tokenizers/%s, pre-tokenizer %s)\n",
              vectors.c_str(), checked, model.c_str(), pre.c_str());
  return checked;
}

TEST(TestVectorsTest, Qwen2) { EXPECT_EQ(CheckVectors("qwen2", "qwen3", "qwen2", true), 46); }

TEST(TestVectorsTest, DeepSeekR1QwenUsesTheQwen2Regex) {
  // Same vocabulary and expected ids as qwen2; exercises the GGUF name "deepseek-r1-qwen".
  EXPECT_EQ(CheckVectors("deepseek-r1-qwen", "qwen3", "deepseek-r1-qwen", true), 46);
}

TEST(TestVectorsTest, Llama3) {
  EXPECT_EQ(CheckVectors("llama-bpe", "llama3", "llama-bpe", false), 46);
}

}  // namespace
}  // namespace lieq
