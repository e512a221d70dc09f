// End-to-end tests of the `lieq` executable: what a user types, what they get back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;
using testing::LieqBinary;
using testing::RunCommand;

struct CmdResult {
  int code;
  std::string output;
};

CmdResult Lieq(const std::string& args) {
  CmdResult r;
  r.code = RunCommand(LieqBinary() + " " + args, &r.output);
  return r;
}

class CliTest : public ::testing::Test {
 protected:
  // Per test rather than SetUpTestSuite: a suite set-up failure is reported as "skipped".
  void SetUp() override {
    if (dir_ != nullptr) return;
    dir_ = new std::string(testing::TempDir());
    const std::string tokenizer = testing::SharedDir() + "/tokenizers/qwen3/tokenizer.json";
    const CmdResult r = Lieq("make-random --like tiny-qwen3 --seed 5 --tokenizer " + tokenizer + " -o " + *dir_ + "/m");
    ASSERT_EQ(r.code, 0) << r.output;
    std::ofstream(*dir_ + "/text.txt") << std::string(200, ' ') + "The quick brown fox jumps over the lazy dog. "
                                       << "It was the best of times, it was the worst of times. " << std::string(50, 'a');
  }
  static std::string model() { return *dir_ + "/m"; }
  static std::string path(const std::string& name) { return *dir_ + "/" + name; }
  static std::string* dir_;
};
std::string* CliTest::dir_ = nullptr;

TEST_F(CliTest, InspectPrintsShapesAndJson) {
  CmdResult r = Lieq("inspect " + model() + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["architecture"], "Qwen3ForCausalLM");
  EXPECT_EQ(j["num_layers"], 2);
  EXPECT_EQ(j["parameters"]["per_block"].size(), 2u);
  r = Lieq("inspect " + model());
  EXPECT_NE(r.output.find("Qwen3ForCausalLM"), std::string::npos);
}

TEST_F(CliTest, TokenizeRoundTripsThroughTheModelFolder) {
  const CmdResult r = Lieq("tokenize " + model() + " \"Hello world\" --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["ids"], nlohmann::json({9707, 1879}));
}

TEST_F(CliTest, PplBothProtocolsAndJson) {
  for (const char* protocol : {"gptq", "llama.cpp"}) {
    const CmdResult r = Lieq("ppl " + model() + " --text " + path("text.txt") + " --ctx 16 --protocol " + protocol + " --json 2>/dev/null");
    ASSERT_EQ(r.code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_GT(j["ppl"].get<double>(), 1.0);
    EXPECT_GT(j["tokens_per_second"].get<double>(), 0.0);
  }
}

TEST_F(CliTest, GenerateIsDeterministicForASeed) {
  const std::string cmd = "generate " + model() + " \"Once upon a time\" -n 6 --temp 0.8 --seed 3 --json";
  const CmdResult a = Lieq(cmd), b = Lieq(cmd);
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_EQ(nlohmann::json::parse(a.output)["tokens"], nlohmann::json::parse(b.output)["tokens"]);
  EXPECT_EQ(nlohmann::json::parse(a.output)["tokens"].size(), 6u);
}

TEST_F(CliTest, BadInputFailsCleanlyNamingTheFile) {
  struct Case {
    std::string args;
    std::string expected;
  };
  std::ofstream(path("latin1.txt"), std::ios::binary) << "caf\xe9 au lait " << std::string(100, 'x');
  std::ofstream(path("junk.gguf"), std::ios::binary) << "GGUX not really";
  const std::vector<Case> cases = {
      {"inspect " + path("missing"), path("missing")},
      {"inspect " + path("junk.gguf"), path("junk.gguf")},
      {"ppl " + model() + " --text " + path("missing.txt"), path("missing.txt")},
      {"ppl " + model() + " --text " + path("latin1.txt") + " --ctx 8", "UTF-8"},
      {"ppl " + model() + " --text " + path("text.txt") + " --protocol bogus", "--protocol"},
      {"make-random --like qwen9 -o " + path("x"), "unknown preset"},
      {"logits " + model() + " --tokens 1,999999999", "outside the vocabulary"},
  };
  for (const Case& c : cases) {
    const CmdResult r = Lieq(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.output.find("error"), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.args << "\n" << r.output;
  }
  EXPECT_FALSE(fs::exists(path("x")));
}

TEST_F(CliTest, OutputsAreNotOverwrittenWithoutForce) {
  const CmdResult again = Lieq("make-random --like tiny-qwen3 -o " + model());
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.output.find("--force"), std::string::npos) << again.output;
  const std::string out = path("logits.f32");
  ASSERT_EQ(Lieq("logits " + model() + " --tokens 1,2,3 -o " + out).code, 0);
  EXPECT_EQ(fs::file_size(out), 3u * 151669u * 4u);
  EXPECT_NE(Lieq("logits " + model() + " --tokens 1,2,3 -o " + out).code, 0);
  EXPECT_EQ(Lieq("logits " + model() + " --tokens 1,2,3 --force -o " + out).code, 0);
}

// lieq --version: CPU features and the SIMD target of every kernel family (portable build).
TEST(CliVersion, PrintsCpuFeaturesAndKernelTargets) {
  const CmdResult text = Lieq("--version");
  ASSERT_EQ(text.code, 0) << text.output;
  EXPECT_NE(text.output.find("lieq 0.1.0"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("cpu features:"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("integer dot (decode, packed weights): "), std::string::npos)
      << text.output;
  const CmdResult js = Lieq("--version --json");
  ASSERT_EQ(js.code, 0) << js.output;
  const nlohmann::json j = nlohmann::json::parse(js.output);
  EXPECT_EQ(j["version"], "lieq 0.1.0");
  EXPECT_FALSE(j["cpu"]["flags"].empty());
  ASSERT_EQ(j["kernels"].size(), 7u);  // gemv, dot, row decode, widen, int8 gemm, bf16 gemm, sgemm
  for (const auto& family : j["kernels"]) EXPECT_FALSE(family["target"].get<std::string>().empty());
  EXPECT_NE(text.output.find("int8 gemm (fast prefill, packed weights): "), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("bf16 gemm (fast prefill, BF16 weights): "), std::string::npos)
      << text.output;
}

// Without OPENBLAS_CORETYPE in the environment, lieq re-executes itself with the core it chose
// from CPUID, so prefill reaches the fast sgemm kernels on CPUs Debian's OpenBLAS does not know.
TEST(CliVersion, ChoosesTheOpenBlasCoreItself) {
  const CmdResult js = Lieq("--version --json");  // (env -u below: this process has it set)
  ASSERT_EQ(js.code, 0);
  const std::string choice = nlohmann::json::parse(js.output)["openblas_coretype_choice"];
  std::string output;
  ASSERT_EQ(RunCommand("env -u OPENBLAS_CORETYPE " + LieqBinary() + " --version --json", &output),
            0)
      << output;
  const nlohmann::json j = nlohmann::json::parse(output);
  std::string sgemm;
  for (const auto& family : j["kernels"]) {
    if (family["family"].get<std::string>().rfind("sgemm", 0) == 0) sgemm = family["detail"];
  }
  if (choice.empty()) {
    EXPECT_NE(sgemm.find("OpenBLAS's own choice"), std::string::npos) << sgemm;
  } else {
    EXPECT_NE(sgemm.find("core " + choice + " (OPENBLAS_CORETYPE=" + choice + ", set by lieq)"),
              std::string::npos)
        << sgemm;
  }
}

}  // namespace
}  // namespace lieq
