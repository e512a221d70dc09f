// Issue 19, through the `lieq` executable: one command runs calibration (built-in by default),
// diagnostics, plan, GPTQ and export; the group size and GGUF types fall back to what the shapes
// allow and say so; the plan, diagnostics and summary land next to the output; an interrupted
// run resumes from the cache; --quiet is quiet; bad calibration input names the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

using CmdResult = testing::LieqRun;

CmdResult Lieq(const std::string& args) { return testing::RunLieq(args); }

bool Has(const CmdResult& r, const std::string& text) { return r.Has(text); }

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

// Small calibration and diagnosis, so that every run takes a second or two.
const char* const kSmall =
    " --calib-samples 4 --calib-seq 64 --diagnose-samples 2 --diagnose-seq 64 -t 2";

class QuantizePipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::TempDir());
    // hidden 64, intermediate 192: group 128 and the 256-column K types do not fit.
    const CmdResult made =
        Lieq("make-random --like tiny-qwen3 --seed 5 --tokenizer " + testing::SharedDir() +
             "/tokenizers/qwen3/tokenizer.json -o " + Path("m"));
    ASSERT_EQ(made.code, 0) << made.output;
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  static std::string* dir_;
};
std::string* QuantizePipeline::dir_ = nullptr;

TEST_F(QuantizePipeline, BudgetToGgufInOneCommandWithBuiltInCalibration) {
  const CmdResult r = Lieq("quantize " + Path("m") + " --budget 3 -o " + Path("b.gguf") + kSmall);
  ASSERT_EQ(r.code, 0) << r.output;
  // Every stage ran, on the built-in text, and the summary says what happened.
  EXPECT_TRUE(Has(r, "built-in:data/calibration/default.txt")) << r.output;
  EXPECT_TRUE(Has(r, "[diagnose] block  1 of 2")) << r.output;
  // The default signal: KL with one block quantized at each of the widths 2, 3, 4, 8.
  EXPECT_TRUE(Has(r, "[sensitivity] pass  7 of 8")) << r.output;
  EXPECT_TRUE(Has(r, "[quantize] block  1 of 2")) << r.output;
  EXPECT_TRUE(Has(r, "bits per block")) << r.output;
  EXPECT_TRUE(Has(r, "MiB ->")) << r.output;
  EXPECT_TRUE(Has(r, "diagnose")) << r.output;
  // The fallbacks are said once and recorded.
  EXPECT_TRUE(Has(r, "note: group size 128 does not divide")) << r.output;
  EXPECT_TRUE(Has(r, "fallback q6_K -> q8_0")) << r.output;  // the tied embeddings
  EXPECT_TRUE(fs::exists(Path("b.gguf")));
  const nlohmann::json plan = ReadJson(Path("b.gguf.plan.json"));
  EXPECT_EQ(plan["format"], "lieq-bitplan");
  EXPECT_EQ(plan["bits"].size(), 2u);
  EXPECT_EQ(plan["rank_by"], "kl");
  EXPECT_EQ(plan["rule"], "optimal");
  EXPECT_EQ(plan["group_size"], 64);
  EXPECT_EQ(plan["group_size_requested"], 128);
  EXPECT_EQ(plan["calibration"], "built-in:data/calibration/default.txt");
  EXPECT_EQ(plan["diagnostics"], Path("b.gguf.diagnostics.json"));
  const nlohmann::json diagnostics = ReadJson(Path("b.gguf.diagnostics.json"));
  EXPECT_TRUE(diagnostics.contains("sizes"));
  EXPECT_EQ(diagnostics["settings"]["sensitivity_bits"], "2,3,4,8");
  EXPECT_TRUE(fs::exists(Path("b.gguf.diagnostics.md")));
  const nlohmann::json summary = ReadJson(Path("b.gguf.summary.json"));
  EXPECT_EQ(summary["format"], "lieq-summary");
  EXPECT_EQ(summary["output_format"], "gguf");
  EXPECT_EQ(summary["bits"], plan["bits"]);
  EXPECT_DOUBLE_EQ(summary["avg_bits_linear"].get<double>(), 3.0);
  EXPECT_GT(summary["size_bytes_before"].get<double>(), summary["size_bytes_after"].get<double>());
  EXPECT_FALSE(summary["type_fallbacks"].empty());
  EXPECT_EQ(summary["stages"].size(), 5u) << summary["stages"];
  EXPECT_TRUE(fs::exists(Path("b.gguf.report.html")));
  // The default resume cache is gone after success.
  EXPECT_FALSE(fs::exists(Path("b.gguf.lieq-cache")));
}

// --eval-text: FP and quantized perplexity in the printed summary, the summary JSON (in the
// schema `lieq report` reads) and report.html.
TEST_F(QuantizePipeline, EvalTextComparesFpAndQuantizedInTheSummaryAndReport) {
  const std::string text = testing::SharedDir() + "/data/eval/wikitext2-test.raw";
  const CmdResult r = Lieq("quantize " + Path("m") + " --uniform 4 -o " + Path("e") + kSmall +
                           " --eval-text " + text + " --eval-ctx 64 --eval-chunks 3");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r, "perplexity      FP ")) << r.output;
  const nlohmann::json ppl = ReadJson(Path("e.summary.json"))["ppl"];
  ASSERT_TRUE(ppl.is_object()) << ppl;
  EXPECT_EQ(ppl["ctx"], 64);
  const double fp = ppl["fp"]["ppl"].get<double>(), q = ppl["quantized"]["ppl"].get<double>();
  EXPECT_GT(fp, 1.0);
  EXPECT_GT(ppl["fp"]["stderr"].get<double>(), 0.0);
  EXPECT_NE(fp, q);               // the quantized model is the one measured
  EXPECT_NEAR(q / fp, 1.0, 0.5);  // 4 bits on a random model: close, not equal
  std::ifstream page(Path("e.report.html"));
  const std::string html(std::istreambuf_iterator<char>(page), {});
  EXPECT_NE(html.find("wikitext2-test.raw"), std::string::npos);
  // The summary file renders again through `lieq report`.
  const CmdResult report = Lieq("report --plan " + Path("e.plan.json") + " --summary " +
                                Path("e.summary.json") + " -o " + Path("again.html"));
  EXPECT_EQ(report.code, 0) << report.output;
  // A missing evaluation text is refused before any work.
  const CmdResult missing = Lieq("quantize " + Path("m") + " --uniform 4 -o " + Path("e2") +
                                 kSmall + " --eval-text " + Path("nope.txt"));
  EXPECT_NE(missing.code, 0);
  EXPECT_TRUE(Has(missing, "nope.txt")) << missing.output;
  EXPECT_FALSE(fs::exists(Path("e2")));
}

// More calibration tokens asked for than the text holds: the overlap is said once.
TEST_F(QuantizePipeline, ShortCalibrationTextSaysTheWindowsOverlap) {
  const CmdResult few = Lieq("quantize " + Path("m") + " --uniform 4 -o " + Path("few") + kSmall);
  ASSERT_EQ(few.code, 0) << few.output;
  EXPECT_FALSE(Has(few, "the windows overlap")) << few.output;
  const CmdResult many = Lieq("quantize " + Path("m") + " --uniform 4 -o " + Path("many") +
                              " --calib-samples 400 --calib-seq 64 -t 2");
  ASSERT_EQ(many.code, 0) << many.output;
  EXPECT_TRUE(Has(many, "fewer than 400 x 64: the windows overlap")) << many.output;
  // Diagnosis too (the built-in text holds 7.7 k Qwen3 tokens, less than diagnose's default
  // 16 x 512): the text is repeated, with a note, not an error.
  const CmdResult diagnose =
      Lieq("diagnose " + Path("m") + " --samples 130 --seq 64 -t 2 -o " + Path("many-diag"));
  ASSERT_EQ(diagnose.code, 0) << diagnose.output;
  EXPECT_TRUE(Has(diagnose, "fewer than 130 x 64: the text is repeated")) << diagnose.output;
}

TEST_F(QuantizePipeline, UniformOnAHidden64ModelFallsBackToGroup64) {
  const CmdResult r = Lieq("quantize " + Path("m") + " --uniform 2 -o " + Path("u2") + kSmall);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r, "using group size 64")) << r.output;
  const CmdResult inspect = Lieq("inspect " + Path("u2") + " --json");
  ASSERT_EQ(inspect.code, 0) << inspect.output;
  EXPECT_EQ(nlohmann::json::parse(inspect.output)["block_weight_types"],
            nlohmann::json({"int2/g64", "int2/g64"}));
  EXPECT_EQ(ReadJson(Path("u2.summary.json"))["group_size_requested"], 128);
}

// Issue 20: the folder format's embeddings/head in a low-bit type on request (kept otherwise); a
// bad type name fails before any work.
TEST_F(QuantizePipeline, FolderFormatTakesALowBitHeadOnRequest) {
  const std::string rtn = " --uniform 4 --method rtn -q -o ";
  ASSERT_EQ(Lieq("quantize " + Path("m") + rtn + Path("h-kept")).code, 0);
  const CmdResult r = Lieq("quantize " + Path("m") + rtn + Path("h-q8") + " --head-type q8_0");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const auto& [name, type] : {std::pair("h-kept", "f32"), std::pair("h-q8", "q8_0")}) {
    const CmdResult inspect = Lieq("inspect " + Path(name) + " --json");
    ASSERT_EQ(inspect.code, 0) << inspect.output;
    const nlohmann::json j = nlohmann::json::parse(inspect.output);
    EXPECT_TRUE(j["dtypes"].contains(type)) << name << ": " << j["dtypes"];
    EXPECT_EQ(j["tie_word_embeddings"], true) << name;
  }
  EXPECT_EQ(Lieq("generate " + Path("h-q8") + " hello -n 4 --greedy").code, 0);
  // The summary's bits per weight count the head as written (Q8_0: 8.5 bits), not as F32.
  EXPECT_GT(ReadJson(Path("h-kept.summary.json"))["avg_bits_file"].get<double>(), 30.0);
  EXPECT_NEAR(ReadJson(Path("h-q8.summary.json"))["avg_bits_file"].get<double>(), 8.46, 0.01);
  const CmdResult bad = Lieq("quantize " + Path("m") + rtn + Path("h-bad") + " --head-type q9");
  EXPECT_NE(bad.code, 0);
  EXPECT_TRUE(Has(bad, "--head-type 'q9' is not a type")) << bad.output;
  EXPECT_FALSE(Has(bad, "[quantize]")) << bad.output;
  EXPECT_FALSE(fs::exists(Path("h-bad")));
}

TEST_F(QuantizePipeline, QuietPrintsNothingAndJsonPrintsTheSummary) {
  const CmdResult quiet =
      Lieq("quantize " + Path("m") + " --uniform 4 --method rtn -q -o " + Path("quiet"));
  ASSERT_EQ(quiet.code, 0) << quiet.output;
  EXPECT_EQ(quiet.output, "");
  const CmdResult json =
      Lieq("quantize " + Path("m") + " --uniform 4 --method rtn --quiet --json -o " + Path("json"));
  ASSERT_EQ(json.code, 0) << json.output;
  EXPECT_EQ(nlohmann::json::parse(json.output)["format"], "lieq-summary");
}

TEST_F(QuantizePipeline, SidecarsBelongToOneOutput) {
  const std::string rtn = " --uniform 4 --method rtn -q -o ";
  // A folder and a GGUF file of the same name keep their own plan and summary.
  ASSERT_EQ(Lieq("quantize " + Path("m") + rtn + Path("same.gguf")).code, 0);
  ASSERT_EQ(Lieq("quantize " + Path("m") + rtn + Path("same")).code, 0);
  EXPECT_EQ(ReadJson(Path("same.gguf.summary.json"))["output"], Path("same.gguf"));
  EXPECT_EQ(ReadJson(Path("same.summary.json"))["output"], Path("same"));
  // The same output again (e.g. after deleting it) replaces its own sidecars...
  fs::remove_all(Path("same"));
  EXPECT_EQ(Lieq("quantize " + Path("m") + rtn + Path("same") + "/").code, 0);
  // ... but a summary that describes another output is replaced only with --force.
  fs::remove_all(Path("same"));
  std::ofstream(Path("same.summary.json")) << R"({"output": "elsewhere"})";
  const CmdResult clash = Lieq("quantize " + Path("m") + rtn + Path("same"));
  EXPECT_NE(clash.code, 0);
  EXPECT_TRUE(Has(clash, "describes another output (elsewhere)")) << clash.output;
  EXPECT_FALSE(fs::exists(Path("same")));
  EXPECT_EQ(Lieq("quantize " + Path("m") + rtn + Path("same") + " --force").code, 0);
}

TEST_F(QuantizePipeline, ResumesFromTheCacheAfterAnInterruptedRun) {
  const std::string cache = " --cache-dir " + Path("cache");
  const CmdResult first =
      Lieq("quantize " + Path("m") + " --budget 3 -o " + Path("r") + kSmall + cache);
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_TRUE(fs::exists(Path("cache")));  // a cache the user named is kept
  // As if the run had been interrupted before the export: the output is missing.
  fs::remove_all(Path("r"));
  const CmdResult again =
      Lieq("quantize " + Path("m") + " --budget 3 -o " + Path("r") + kSmall + cache);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(Has(again, "block  0 of 2: ")) << again.output;
  EXPECT_TRUE(Has(again, "cached")) << again.output;
  EXPECT_FALSE(Has(again, "[diagnose] block")) << again.output;  // every proxy block cached
  EXPECT_EQ(ReadJson(Path("r.plan.json"))["bits"], ReadJson(Path("r.summary.json"))["bits"]);
}

// The GGUF export resumes block by block too, and the resumed file is the same file.
TEST_F(QuantizePipeline, GgufResumesFromTheCacheToTheSameBytes) {
  const std::string cache = " --cache-dir " + Path("gcache");
  const std::string args = "quantize " + Path("m") + " --budget 3 -o ";
  const CmdResult first = Lieq(args + Path("g1.gguf") + kSmall + cache);
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_FALSE(Has(first, "cached")) << first.output;
  const CmdResult again = Lieq(args + Path("g2.gguf") + kSmall + cache);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(Has(again, "[quantize] block  0 of 2: ")) << again.output;
  EXPECT_TRUE(Has(again, "cached")) << again.output;
  auto bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(Path("g1.gguf")), bytes(Path("g2.gguf")));
  // A damaged entry is said and the block quantized again, to the same bytes.
  for (const auto& e : fs::directory_iterator(Path("gcache"))) {
    if (e.path().extension() == ".lqg") fs::resize_file(e.path(), 100);
  }
  const CmdResult damaged = Lieq(args + Path("g3.gguf") + kSmall + cache);
  ASSERT_EQ(damaged.code, 0) << damaged.output;
  EXPECT_TRUE(Has(damaged, "corrupt cached block")) << damaged.output;
  EXPECT_EQ(bytes(Path("g1.gguf")), bytes(Path("g3.gguf")));
}

// Diagnostics from `lieq diagnose` without --sensitivity-bits: the default signal falls back to
// the proxy and says so; with the sensitivity, the default is the measured KL.
TEST_F(QuantizePipeline, DiagnosticsWithoutSensitivityFallBackToTheProxy) {
  const std::string diagnose = "diagnose " + Path("m") + " --samples 2 --seq 64 -t 2 -o ";
  ASSERT_EQ(Lieq(diagnose + Path("d-proxy")).code, 0);
  const CmdResult proxy = Lieq("quantize " + Path("m") + " --budget 3 --diagnostics " +
                               Path("d-proxy/diagnostics.json") + " -o " + Path("fp") + kSmall);
  ASSERT_EQ(proxy.code, 0) << proxy.output;
  EXPECT_TRUE(Has(proxy, "has no measured sensitivity")) << proxy.output;
  EXPECT_EQ(ReadJson(Path("fp.plan.json"))["rank_by"], "proxy");
  ASSERT_EQ(Lieq(diagnose + Path("d-kl") + " --sensitivity-bits 2,3,4,8").code, 0);
  const CmdResult kl = Lieq("plan --diagnostics " + Path("d-kl/diagnostics.json") +
                            " --budget 3 --json -o " + Path("kl-plan.json"));
  ASSERT_EQ(kl.code, 0) << kl.output;
  EXPECT_FALSE(Has(kl, "has no measured sensitivity")) << kl.output;
  EXPECT_EQ(ReadJson(Path("kl-plan.json"))["rank_by"], "kl");
  EXPECT_EQ(ReadJson(Path("kl-plan.json"))["rule"], "optimal");
}

TEST_F(QuantizePipeline, BadCalibrationInputNamesTheFile) {
  std::ofstream(Path("short.txt")) << "Too short to calibrate anything.";
  const CmdResult too_short = Lieq("quantize " + Path("m") + " --budget 3 --calib " +
                                   Path("short.txt") + " -o " + Path("s") + kSmall);
  EXPECT_NE(too_short.code, 0);
  EXPECT_TRUE(Has(too_short, Path("short.txt"))) << too_short.output;
  EXPECT_TRUE(Has(too_short, "tokens")) << too_short.output;
  const CmdResult missing = Lieq("quantize " + Path("m") + " --budget 3 --calib " +
                                 Path("nowhere.jsonl") + " -o " + Path("s") + kSmall);
  EXPECT_NE(missing.code, 0);
  EXPECT_TRUE(Has(missing, "nowhere.jsonl")) << missing.output;
  EXPECT_FALSE(fs::exists(Path("s")));
  EXPECT_FALSE(fs::exists(Path("s.plan.json")));
}

TEST_F(QuantizePipeline, PlanFromModelNeedsNoCalibFlag) {
  const CmdResult r =
      Lieq("plan " + Path("m") + " --budget 3 --samples 2 --seq 64 -o " + Path("plan.json"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(ReadJson(Path("plan.json"))["calibration"], "built-in:data/calibration/default.txt");
}

// The built-in text must hold the default diagnosis (16 windows x 512 tokens, what `lieq quantize
// --budget` measures) on a real tokenizer.
TEST_F(QuantizePipeline, BuiltInTextIsLongEnoughForTheDefaultDiagnosis) {
  // The proxy alone: the sensitivity reads the same windows (and takes 30 s more here).
  const CmdResult r =
      Lieq("plan " + testing::RepoDir() +
           "/models/lieq-ref-qwen3-s --budget 2.25 --rank-by proxy -o " + Path("ref-plan.json"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(ReadJson(Path("ref-plan.json"))["calibration"],
            "built-in:data/calibration/default.txt");
}

}  // namespace
}  // namespace lieq
