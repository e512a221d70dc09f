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
  EXPECT_NE(r.output.find(Path("out") + ": already exists (use --force"), std::string::npos)
      << r.output;
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

// What must match between a run and its cached rerun: everything but the timings.
nlohmann::json WithoutTimings(nlohmann::json j) {
  j.erase("timing");
  for (auto& b : j["blocks"]) b.erase("seconds");
  return j;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(DiagnoseCliTest, CacheDirResumesWithTheSameNumbers) {
  const std::string cached = Diagnose() + " --cache-dir " + Path("cache");
  CmdResult r = Lieq(cached + " -o " + Path("c1"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(Contains(r.output, "cached")) << r.output;
  const nlohmann::json first = WithoutTimings(ReadJson(Path("c1/diagnostics.json")));
  // Caching changes no number: the first cached run equals the fixture's uncached one.
  EXPECT_EQ(first, WithoutTimings(ReadJson(Path("out/diagnostics.json"))));
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(Path("cache"))) files.push_back(e.path().string());
  EXPECT_EQ(files.size(), 5u);  // 2 proxy blocks, the base pass and 2 skip passes

  r = Lieq(cached + " -o " + Path("c2"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* line :
       {"[proxy] block 0 of 2: cached", "[proxy] block 1 of 2: cached", "[ppl] base: cached",
        "[ppl] skip block 0 of 2: cached", "[ppl] skip block 1 of 2: cached"}) {
    EXPECT_TRUE(Contains(r.output, line)) << line << "\n" << r.output;
  }
  EXPECT_FALSE(Contains(r.output, "warning")) << r.output;
  const nlohmann::json second = WithoutTimings(ReadJson(Path("c2/diagnostics.json")));
  EXPECT_EQ(second, first);
  ASSERT_EQ(second["blocks"].size(), 2u);
  for (size_t l = 0; l < 2; ++l) {  // the per-block numbers, exactly
    for (const char* key : {"delta_ppl", "ppl_skipped", "delta_r_flat", "delta_r_projection",
                            "delta_e_flat", "delta_e_projection", "proxy", "units"}) {
      EXPECT_EQ(second["blocks"][l][key], first["blocks"][l][key]) << l << " " << key;
    }
  }
  EXPECT_EQ(second["base_ppl"].get<double>(), first["base_ppl"].get<double>());

  // Corrupt two files: a truncated proxy block and a ppl pass of valid JSON but wrong contents.
  std::string proxy1, skip0;
  for (const std::string& f : files) {
    if (Contains(f, "-proxy-block1.json")) proxy1 = f;
    if (Contains(f, "-ppl-skip0.json")) skip0 = f;
  }
  ASSERT_FALSE(proxy1.empty());
  ASSERT_FALSE(skip0.empty());
  fs::resize_file(proxy1, fs::file_size(proxy1) / 2);
  std::ofstream(skip0) << "{\"format\": \"lieq-diagnose-cache\", \"ppl\": \"x\"}\n";
  r = Lieq(cached + " -o " + Path("c3"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "warning: " + proxy1 + ": corrupt cache file")) << r.output;
  EXPECT_TRUE(Contains(r.output, "warning: " + skip0 + ": corrupt cache file")) << r.output;
  EXPECT_TRUE(Contains(r.output, "[proxy] block 0 of 2: cached")) << r.output;
  EXPECT_TRUE(Contains(r.output, "[proxy] block 1 of 2  ")) << r.output;  // measured again
  EXPECT_TRUE(Contains(r.output, "[ppl] skip block 0 of 2 ppl")) << r.output;
  EXPECT_EQ(WithoutTimings(ReadJson(Path("c3/diagnostics.json"))), first);

  // The recomputed units were stored again; a changed setting misses only what it affects.
  r = Lieq(cached + " -o " + Path("c4"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(Contains(r.output, "warning")) << r.output;
  EXPECT_TRUE(Contains(r.output, "[proxy] block 1 of 2: cached")) << r.output;
  EXPECT_TRUE(Contains(r.output, "[ppl] skip block 0 of 2: cached")) << r.output;
  r = Lieq(cached + " --twin-seed 7 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(Contains(r.output, "[proxy] block 0 of 2: cached")) << r.output;
  EXPECT_TRUE(Contains(r.output, "[ppl] base: cached")) << r.output;
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

// `lieq report` reads what `lieq diagnose` and `lieq plan` write (report/html_report.h).
TEST_F(DiagnoseCliTest, ReportFromDiagnoseAndPlanOutputs) {
  const std::string diag = " --diagnostics " + Path("out/diagnostics.json");
  CmdResult r = Lieq("plan" + diag + " --budget 3 --force -o " + Path("report-plan.json"));
  ASSERT_EQ(r.code, 0) << r.output;
  r = Lieq("report --plan " + Path("report-plan.json") + diag + " -o " + Path("report.html"));
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(Path("report.html"));
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(Contains(html, "<table id=\"plan\">"));
  EXPECT_TRUE(Contains(html, "ΔPPL (block skipped − base)"));  // measured with --eval-text
  EXPECT_TRUE(Contains(html, "ΔE_k, k = "));
  EXPECT_TRUE(Contains(html, "Spearman ρ"));
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
      {Path("m") + " --budget 3 --rank-by ppl", "needs --eval-text"},
  };
  for (const auto& [args, message] : cases) {
    const CmdResult r = Lieq(std::string("plan ") + args);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << ": " << r.output;
  }
}

TEST_F(DiagnoseCliTest, SensitivityIsReportedCachedAndPlannedFrom) {
  const std::string cmd = Diagnose() + " --sensitivity-bits 2,4 --sensitivity-method rtn " +
                          "--group-size 32 --cache-dir " + Path("kl-cache");
  CmdResult r = Lieq(cmd + " -o " + Path("kl"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "[kl] block 1 of 2 at 4 bits: ")) << r.output;
  const nlohmann::json j = ReadJson(Path("kl/diagnostics.json"));
  EXPECT_EQ(j["scores"]["kl"]["widths"], nlohmann::json({2, 4}));
  EXPECT_EQ(j["scores"]["kl"]["method"], "rtn g32");
  ASSERT_EQ(j["scores"]["kl"]["values"].size(), 2u);
  for (size_t l = 0; l < 2; ++l) {
    EXPECT_GT(j["blocks"][l]["kl"]["2"].get<double>(), j["blocks"][l]["kl"]["4"].get<double>());
  }
  EXPECT_EQ(j["spearman_vs_delta_ppl"]["kl_by_width"].size(), 2u);
  EXPECT_TRUE(j["spearman_vs_delta_ppl"]["by_rule"].contains("attention"));
  EXPECT_EQ(j["spearman_vs_delta_ppl"]["by_rule"]["q"]["delta_r_single_twin"].size(), 3u);
  EXPECT_TRUE(j["spearman_vs_kl_lowest_width"]["by_rule"].contains("flat"));
  std::ifstream csv(Path("kl/diagnostics.csv"));
  std::string header;
  std::getline(csv, header);
  EXPECT_TRUE(Contains(header, ",kl_2,kl_4")) << header;
  std::ifstream report(Path("kl/report.md"));
  const std::string md((std::istreambuf_iterator<char>(report)), {});
  EXPECT_TRUE(Contains(md, "KL 2 bits")) << md;
  EXPECT_TRUE(Contains(md, "Averaging rules against ΔPPL")) << md;
  std::ifstream svg(Path("kl/blocks.svg"));
  const std::string bars((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_TRUE(Contains(bars, "KL with only the block at 2 bits (rtn g32)"));

  // A rerun loads every (block, width) from the cache and gives the same numbers.
  r = Lieq(cmd + " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "[kl] block 0 of 2 at 2 bits: cached")) << r.output;
  const nlohmann::json again = nlohmann::json::parse(r.output.substr(r.output.find("{\n")));
  EXPECT_EQ(again["scores"]["kl"], j["scores"]["kl"]);

  const std::string diag = "plan --diagnostics " + Path("kl/diagnostics.json");
  r = Lieq(diag + " --rank-by kl --bits 2,4 --budget 3 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  nlohmann::json plan = nlohmann::json::parse(r.output);
  EXPECT_EQ(plan["rank_by"], "kl");
  EXPECT_EQ(plan["rule"], "optimal");
  EXPECT_EQ(plan["cost"], "measured kl rtn g32");
  EXPECT_EQ(plan["avg_bits_linear"], 3.0);
  r = Lieq(diag + " --rank-by kl --bits 2,4 --budget 3 --rule paper --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["rule"], "paper");
  r = Lieq(diag + " --rank-by kl --budget 3");  // default widths 2,3,4,8: 3 and 8 not measured
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(Contains(r.output, "width 3 was not measured")) << r.output;
  r = Lieq("plan --diagnostics " + Path("out/diagnostics.json") + " --rank-by kl --budget 3");
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(Contains(r.output, "has no measured sensitivity")) << r.output;
  r = Lieq(diag + " --budget 3 --rule greedy");
  EXPECT_TRUE(Contains(r.output, "--rule 'greedy' is unknown")) << r.output;

  // lieq quantize --budget plans the same way.
  r = Lieq("quantize " + Path("m") + " --budget 3 --bits 2,4 --rank-by kl --diagnostics " +
           Path("kl/diagnostics.json") + " --method rtn --group-size 32 -o " + Path("q-kl") +
           " --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json q = nlohmann::json::parse(r.output.substr(r.output.find("{\n")));
  EXPECT_EQ(q["bits"], plan["bits"]);
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
