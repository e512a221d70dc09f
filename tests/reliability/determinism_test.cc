// Reproducibility: the same inputs and seed give byte-identical outputs at any thread count.
// Runs the lieq binary: logits' raw floats and ppl --json's numbers at 1, 2 and 3 threads (3
// splits work unevenly on any machine); make-random's model and convert's GGUF across runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

constexpr int kThreadCounts[] = {1, 2, 3};

std::string Lieq(const std::string& args) {
  std::string output;
  const int code = testing::RunCommand(testing::LieqBinary() + " " + args, &output);
  EXPECT_EQ(code, 0) << args << "\n" << output;
  return output;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Determinism : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir();
    tokenizer_ = testing::SharedDir() + "/tokenizers/qwen3/tokenizer.json";
    std::ofstream(dir_ + "/text.txt")
        << "It was the best of times, it was the worst of times, it was the age of wisdom, it "
           "was the age of foolishness, it was the epoch of belief, it was the epoch of "
           "incredulity, it was the season of Light, it was the season of Darkness.\n";
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_, tokenizer_;
};

// make-random and convert take no thread count (one random stream in slot order; conversion row
// by row): two runs must still agree byte for byte.
TEST_F(Determinism, MakeRandomAndConvertAreByteIdenticalAcrossRuns) {
  std::map<std::string, std::string> reference;
  for (int run = 0; run < 2; ++run) {
    // Same folder names in both runs: convert records the source folder name in the GGUF.
    const std::string run_dir = "run" + std::to_string(run) + "/";
    std::filesystem::create_directories(Path(run_dir));  // outputs need an existing parent
    for (const char* preset : {"tiny-qwen3", "tiny-llama"}) {
      const std::string out = Path(run_dir + preset);
      Lieq("make-random --like " + std::string(preset) + " --seed 11 --dtype bf16 -o " + out);
      std::map<std::string, std::string> got;
      got[std::string(preset) + " model"] =
          ReadBytes(out + "/model.safetensors") + ReadBytes(out + "/config.json");
      for (const char* type : {"f32", "f16", "bf16"}) {
        const std::string gguf = out + "-" + type + ".gguf";
        Lieq("convert " + out + " --type " + type + " -o " + gguf);
        got[std::string(preset) + " convert " + type] = ReadBytes(gguf);
      }
      for (const auto& [what, bytes] : got) {
        EXPECT_FALSE(bytes.empty()) << what;
        if (run == 0) {
          reference[what] = bytes;
        } else {
          EXPECT_TRUE(bytes == reference[what]) << what << " differs between runs";
        }
      }
    }
  }
}

TEST_F(Determinism, LogitsAndPplAreByteIdenticalAtAnyThreadCount) {
  const std::string model = Path("m");
  Lieq("make-random --like tiny-qwen3 --seed 5 --tokenizer " + tokenizer_ + " -o " + model);
  const std::string gguf = Path("m.gguf");
  Lieq("convert " + model + " --type f16 -o " + gguf);
  std::map<std::string, std::string> reference;
  for (int t : kThreadCounts) {
    const std::string threads = " -t " + std::to_string(t);
    const std::string tag = "-t" + std::to_string(t);
    std::map<std::string, std::string> got;
    const std::string logits = Path("logits" + tag + ".f32");
    Lieq("logits " + model + " --text \"The quick brown fox jumps over the lazy dog\" -o " +
         logits + threads);
    got["logits"] = ReadBytes(logits);
    const std::string gguf_logits = Path("gguf-logits" + tag + ".f32");
    Lieq("logits " + gguf + " --tokens 1,2,3,500,7000,12 -o " + gguf_logits + threads);
    got["logits from gguf"] = ReadBytes(gguf_logits);
    for (const char* protocol : {"gptq", "llama.cpp"}) {
      const auto j = nlohmann::json::parse(Lieq("ppl " + model + " --text " + Path("text.txt") +
                                                " --protocol " + protocol + " --ctx 16 --json" +
                                                threads + " 2>/dev/null"));
      // Everything but the timings and the thread count.
      got[std::string("ppl ") + protocol] = nlohmann::json{
          {"ppl", j["ppl"]},
          {"ppl_stderr", j["ppl_stderr"]},
          {"mean_nll", j["mean_nll"]},
          {"windows", j["windows"]},
          {"tokens_scored", j["tokens_scored"]}}.dump();
    }
    for (const auto& [what, bytes] : got) {
      EXPECT_FALSE(bytes.empty()) << what;
      if (reference.count(what) == 0) {
        reference[what] = bytes;
      } else {
        EXPECT_TRUE(bytes == reference[what]) << what << " differs at " << t << " threads";
      }
    }
  }
}

// The LieQ pipeline's outputs: diagnostics numbers, the BitPlan and every back-end's quantized
// model are byte-identical at 1, 2 and 3 threads.
TEST_F(Determinism, DiagnosePlanAndQuantizeAreByteIdenticalAtAnyThreadCount) {
  const std::string model = Path("q");
  Lieq("make-random --like tiny-qwen3 --seed 9 --tokenizer " + tokenizer_ + " -o " + model);
  const std::string calib = testing::SharedDir() + "/data/calib/c4-train-00000-head1000.jsonl";
  std::map<std::string, std::string> reference;
  for (int t : kThreadCounts) {
    const std::string threads = " -t " + std::to_string(t);
    std::map<std::string, std::string> got;
    // The same output paths at every thread count (--force): outputs record their inputs' paths.
    const std::string diag = Path("diag");
    Lieq("diagnose " + model + " --calib " + calib + " --samples 2 --seq 64 --seed 3 --eval-text " +
         Path("text.txt") + " --eval-ctx 16 --eval-windows 2 --force -o " + diag + threads +
         " 2>/dev/null");
    auto j = nlohmann::json::parse(ReadBytes(diag + "/diagnostics.json"));
    for (auto& block : j["blocks"]) block.erase("seconds");  // wall time, not a result
    got["diagnostics blocks"] = j["blocks"].dump();
    got["diagnostics scores"] = j["scores"].dump() + j["spearman_vs_delta_ppl"].dump();
    const std::string plan = Path("plan.json");
    Lieq("plan --diagnostics " + diag + "/diagnostics.json --budget 2.5 --group-size 32 --force -o " +
         plan + " 2>/dev/null");
    got["plan"] = ReadBytes(plan);
    for (const char* method : {"rtn", "gptq", "awq", "awq+gptq"}) {
      const std::string out = Path(std::string("quant-") + method);
      Lieq("quantize " + model + " --plan " + plan + " --method " + method + " --calib " + calib +
           " --calib-samples 2 --calib-seq 64 --seed 3 --force -o " + out + threads +
           " 2>/dev/null");
      got[std::string("quantize ") + method] =
          ReadBytes(out + "/model.safetensors") + ReadBytes(out + "/config.json");
    }
    for (const auto& [what, bytes] : got) {
      EXPECT_FALSE(bytes.empty()) << what;
      if (reference.count(what) == 0) {
        reference[what] = bytes;
      } else {
        EXPECT_TRUE(bytes == reference[what]) << what << " differs at " << t << " threads";
      }
    }
  }
}

}  // namespace
}  // namespace lieq
