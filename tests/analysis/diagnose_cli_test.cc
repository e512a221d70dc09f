// `lieq diagnose` and `lieq plan` end to end on a random tiny Qwen3 with the real tokenizer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

struct CmdResult {
  int code;
  std::string output;
};

CmdResult Lieq(const std::string& args) {
  CmdResult r;
  r.code = testing::RunCommand(testing::LieqBinary() + " " + args, &r.output);
  return r;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

class DiagnoseCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (dir_ != nullptr) return;
    dir_ = new std::string(testing::TempDir());
    const std::string shared = testing::SharedDir();
    const CmdResult r = Lieq("make-random --like tiny-qwen3 --seed 5 --tokenizer " + shared +
                             "/tokenizers/qwen3/tokenizer.json -o " + *dir_ + "/m");
    ASSERT_EQ(r.code, 0) << r.output;
    {
      std::ofstream eval(*dir_ + "/eval.txt");
      for (int i = 0; i < 20; ++i)
        eval << "The quick brown fox jumps over the lazy dog " << i << ". ";
    }
    const CmdResult d = Lieq(Diagnose() + " -o " + *dir_ + "/out");
    ASSERT_EQ(d.code, 0) << d.output;
  }
  static std::string Diagnose() {
    return "diagnose " + *dir_ + "/m --calib " + testing::SharedDir() +
           "/data/calib/c4-train-00000-head1000.jsonl --samples 2 --seq 32 --eval-text " + *dir_ +
           "/eval.txt --eval-ctx 32 --eval-windows 2 -t 2";
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  static std::string* dir_;
};
std::string* DiagnoseCliTest::dir_ = nullptr;

TEST_F(DiagnoseCliTest, WritesEveryOutputWithAllNumbers) {
  for (const char* f :
       {"diagnostics.json", "diagnostics.csv", "blocks.svg", "scatter.svg", "report.md"}) {
    EXPECT_TRUE(fs::exists(Path("out/") + f)) << f;
  }
  const nlohmann::json j = ReadJson(Path("out/diagnostics.json"));
  EXPECT_EQ(j["format"], "lieq-diagnostics");
  EXPECT_EQ(j["num_blocks"], 2);
  EXPECT_EQ(j["settings"]["twin_seeds"], 3);
  EXPECT_EQ(j["settings"]["twin_std"], 0.02);  // the config's initializer_range
  ASSERT_EQ(j["blocks"].size(), 2u);
  EXPECT_EQ(j["blocks"][0]["units"].size(), 15u);
  EXPECT_TRUE(j["blocks"][0]["delta_ppl"].is_number());
  EXPECT_TRUE(j["base_ppl"].get<double>() > 1);
  EXPECT_EQ(j["spearman_vs_delta_ppl"]["proxy_flat_by_twin_seeds"].size(), 3u);
  EXPECT_EQ(j["scores"]["proxy"].size(), 2u);
  EXPECT_EQ(j["sizes"]["block_linear_params"].size(), 2u);
  std::ifstream svg(Path("out/scatter.svg"));
  const std::string text((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_NE(text.find("<circle"), std::string::npos);
}

TEST_F(DiagnoseCliTest, RefusesToOverwriteWithoutForce) {
  const CmdResult r = Lieq(Diagnose() + " -o " + Path("out"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("diagnostics.json"), std::string::npos) << r.output;
}

TEST_F(DiagnoseCliTest, BadOptionsAreClearErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {" --aggregate median", "--aggregate 'median' is unknown"},
      {" --projections q,x", "'x' is not one of"},
      {" --weights 1,a,1", "--weights"},
  };
  for (const auto& [extra, message] : cases) {
    const CmdResult r = Lieq(Diagnose() + extra);
    EXPECT_NE(r.code, 0) << extra;
    EXPECT_NE(r.output.find(message), std::string::npos) << extra << ": " << r.output;
  }
  const CmdResult r = Lieq("diagnose " + Path("m") + " --calib /nonexistent.jsonl");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("/nonexistent.jsonl"), std::string::npos) << r.output;
}

TEST_F(DiagnoseCliTest, PlanFromDiagnosticsMeetsTheBudget) {
  const std::string diag = " --diagnostics " + Path("out/diagnostics.json");
  CmdResult r = Lieq("plan" + diag + " --budget 3 -o " + Path("plan.json"));
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json plan = ReadJson(Path("plan.json"));
  EXPECT_EQ(plan["format"], "lieq-bitplan");
  EXPECT_EQ(plan["avg_bits_linear"], 3.0);
  EXPECT_GT(plan["avg_bits_file"].get<double>(), 3.0);  // embeddings at 32 bits (F32 model)
  r = Lieq("plan" + diag + " --budget 3 -o " + Path("plan.json"));
  EXPECT_NE(r.code, 0) << "overwrote without --force";
  for (const char* rank : {"ppl", "combined", "random", "first-last"}) {
    r = Lieq("plan" + diag + " --budget 3 --rank-by " + rank + " --json");
    ASSERT_EQ(r.code, 0) << rank << ": " << r.output;
    EXPECT_EQ(nlohmann::json::parse(r.output)["avg_bits_linear"], 3.0) << rank;
  }
}

TEST_F(DiagnoseCliTest, PlanErrors) {
  const std::string diag = " --diagnostics " + Path("out/diagnostics.json");
  const std::pair<std::string, const char*> cases[] = {
      {diag + " --budget 1.9", "below the lowest candidate width 2"},
      {diag + " --budget 4.1", "above the highest candidate width 4"},
      {diag + " --budget two", "--budget 'two' is not a number"},
      {diag + " --budget 3 --rank-by best", "--rank-by 'best' is unknown"},
      {diag + " --budget 3 --bits 2,7", "width 7 is not supported"},
      {" --budget 3", "give either MODEL or --diagnostics"},
      {Path("m") + " --budget 3", "needs --calib"},
  };
  for (const auto& [args, message] : cases) {
    const CmdResult r = Lieq(std::string("plan ") + args);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << ": " << r.output;
  }
}

TEST_F(DiagnoseCliTest, PlanFromTheModelIsDeterministic) {
  const std::string cmd =
      "plan " + Path("m") + " --budget 3 --rank-by random --seed 4 --group-size 32 --json";
  const CmdResult a = Lieq(cmd), b = Lieq(cmd);
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_EQ(nlohmann::json::parse(a.output)["bits"], nlohmann::json::parse(b.output)["bits"]);
}

}  // namespace
}  // namespace lieq
