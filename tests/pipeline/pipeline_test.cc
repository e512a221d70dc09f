// The pipeline library's parts: the built-in calibration text, where outputs go, the group-size
// fallback and the progress display.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/mapped_file.h"
#include "io/calibration_text.h"
#include "pipeline/calibration_source.h"
#include "pipeline/output_files.h"
#include "pipeline/pipeline_summary.h"
#include "pipeline/progress.h"
#include "plan/bit_plan.h"
#include "test_util.h"

namespace lieq {
namespace {

TEST(DefaultCalibration, IsBuiltInProseThatParses) {
  const std::string_view text = DefaultCalibrationText();
  EXPECT_GE(text.size(), 20000u);
  Result<std::vector<std::string>> docs = ParseCalibrationDocuments(text, false, "default");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].size(), text.size());
}

TEST(DefaultCalibration, UserFileIsUsedAsIsAndDefaultIsWrittenOnce) {
  const std::string dir = testing::TempDir();
  Result<CalibrationSource> user = ResolveCalibrationSource("/some/calib.jsonl", dir + "/w");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->path, "/some/calib.jsonl");
  EXPECT_FALSE(user->built_in);
  EXPECT_FALSE(std::filesystem::exists(dir + "/w"));  // nothing written for a user's file

  Result<CalibrationSource> def = ResolveCalibrationSource("", dir + "/w");
  ASSERT_TRUE(def.ok()) << def.status().message();
  EXPECT_TRUE(def->built_in);
  EXPECT_EQ(def->name, kDefaultCalibrationName);
  Result<std::string> written = ReadTextFile(def->path);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, DefaultCalibrationText());
  // A damaged copy is rewritten.
  std::FILE* f = std::fopen(def->path.c_str(), "w");
  std::fputs("damaged", f);
  std::fclose(f);
  ASSERT_TRUE(ResolveCalibrationSource("", dir + "/w").ok());
  EXPECT_EQ(*ReadTextFile(def->path), DefaultCalibrationText());
  // A work folder that cannot be made is an error naming it.
  Result<CalibrationSource> bad = ResolveCalibrationSource("", "/proc/lieq-no");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/proc/lieq-no"), std::string::npos);
}

TEST(OutputFiles, SidecarsSitNextToTheOutput) {
  OutputFiles gguf = OutputFilesFor("out/model.gguf");
  EXPECT_EQ(gguf.plan, "out/model.gguf.plan.json");
  EXPECT_EQ(gguf.diagnostics, "out/model.gguf.diagnostics.json");
  EXPECT_EQ(gguf.summary, "out/model.gguf.summary.json");
  EXPECT_EQ(gguf.default_cache, "out/model.gguf.lieq-cache");
  OutputFiles folder = OutputFilesFor("out/q2/");
  EXPECT_EQ(folder.plan, "out/q2.plan.json");
  OutputFormat format;
  ASSERT_TRUE(ResolveOutputFormat("", "a.gguf", &format));
  EXPECT_EQ(format, OutputFormat::kGguf);
  ASSERT_TRUE(ResolveOutputFormat("", "a", &format));
  EXPECT_EQ(format, OutputFormat::kLieq);
  ASSERT_TRUE(ResolveOutputFormat("lieq", "a.gguf", &format));
  EXPECT_EQ(format, OutputFormat::kLieq);
  EXPECT_FALSE(ResolveOutputFormat("onnx", "a", &format));
}

TEST(FitGroupSize, TakesTheLargestSupportedGroupThatDividesEveryInput) {
  ModelConfig c;
  c.hidden_size = 64;
  c.num_heads = 4;
  c.head_dim = 16;
  c.intermediate_size = 192;
  EXPECT_EQ(FitGroupSize(c, 128), 64);
  EXPECT_EQ(FitGroupSize(c, 64), 64);
  EXPECT_EQ(FitGroupSize(c, 32), 32);
  c.hidden_size = 4096;
  c.num_heads = 32;
  c.head_dim = 128;
  c.intermediate_size = 12288;
  EXPECT_EQ(FitGroupSize(c, 128), 128);
  c.intermediate_size = 96 * 33;  // a multiple of 32 but not of 64
  EXPECT_EQ(FitGroupSize(c, 128), 32);
  c.hidden_size = 100;  // no supported group divides it
  EXPECT_EQ(FitGroupSize(c, 128), 0);
}

std::string Captured(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  return out;
}

TEST(Progress, PlainLinesOneUpdatingLineOrNothing) {
  for (ProgressMode mode : {ProgressMode::kLines, ProgressMode::kTerminal, ProgressMode::kQuiet}) {
    std::FILE* f = std::tmpfile();
    {
      Progress p(f, mode);
      p.Begin("quantize", 2, "block", 100);
      p.Advance(1, "2 bits");
      p.Advance(2, "4 bits", /*cached=*/true);
      p.End();
      p.Note("note: done");
    }
    const std::string out = Captured(f);
    std::fclose(f);
    if (mode == ProgressMode::kQuiet) {
      EXPECT_EQ(out, "");
      continue;
    }
    EXPECT_NE(out.find("[quantize] block  0 of 2"), std::string::npos) << out;
    EXPECT_NE(out.find(": 2 bits"), std::string::npos) << out;
    EXPECT_NE(out.find("[quantize] block  1 of 2"), std::string::npos) << out;
    EXPECT_NE(out.find("tok/s"), std::string::npos) << out;
    EXPECT_NE(out.find("ETA"), std::string::npos) << out;
    EXPECT_NE(out.find("note: done\n"), std::string::npos) << out;
    const size_t lines = static_cast<size_t>(std::count(out.begin(), out.end(), '\n'));
    if (mode == ProgressMode::kLines) {
      EXPECT_EQ(lines, 3u) << out;
      EXPECT_EQ(out.find('\r'), std::string::npos) << out;
    } else {
      EXPECT_EQ(lines, 2u) << out;  // one rewritten line, then the note
      EXPECT_NE(out.find("\r\033[K"), std::string::npos) << out;
    }
  }
}

// In a log, a stage of many quick units with a line period prints its first and last unit (not
// one line per unit); the block stages (no period) keep one line per block.
TEST(Progress, PlainLinesArePeriodic) {
  std::FILE* f = std::tmpfile();
  {
    Progress p(f, ProgressMode::kLines);
    p.Begin("perplexity FP", 100, "window", 512, kLinePeriodSeconds);
    for (int64_t done = 1; done <= 100; ++done) p.Advance(done, "");
    p.End();
  }
  const std::string out = Captured(f);
  std::fclose(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  EXPECT_NE(out.find("window  0 of 100"), std::string::npos) << out;
  EXPECT_NE(out.find("window 99 of 100"), std::string::npos) << out;
}

TEST(PipelineSummary, DescribesWidthsSizesAndStages) {
  PipelineSummary s;
  s.out = "m.gguf";
  s.format = "gguf";
  s.method = "gptq";
  s.rank_by = "proxy";
  s.bits = {2, 2, 4, 2};
  s.avg_bits_linear = 2.5;
  s.bytes_before = 4 << 20;
  s.bytes_after = 1 << 20;
  s.stages = {{"diagnose", 1.5}, {"quantize+export", 3}};
  s.fallbacks = {{"token_embd.weight", "q6_K", "q8_0"}};
  const std::string text = DescribePipelineSummary(s);
  EXPECT_NE(text.find("0-1: 2, 2: 4, 3: 2"), std::string::npos) << text;
  EXPECT_NE(text.find("4.00 MiB -> 1.00 MiB (4.00x smaller)"), std::string::npos) << text;
  EXPECT_NE(text.find("diagnose 1.5 s, quantize+export 3.0 s"), std::string::npos) << text;
  EXPECT_NE(text.find("token_embd.weight q6_K -> q8_0"), std::string::npos) << text;
  const nlohmann::json j = PipelineSummaryToJson(s);
  EXPECT_EQ(j["format"], "lieq-summary");
  EXPECT_EQ(j["bits"], nlohmann::json({2, 2, 4, 2}));
  EXPECT_EQ(j["type_fallbacks"][0]["used"], "q8_0");
  // The same file is a report summary (report/run_summary.h).
  Result<RunSummary> run = RunSummaryFromJson(j, "m.gguf.summary.json");
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(run->stages.size(), 2u);
  EXPECT_EQ(run->stages[1].name, "quantize+export");
  EXPECT_EQ(run->size_bytes_after, int64_t{1} << 20);
  EXPECT_FALSE(run->ppl.has_value());
}

}  // namespace
}  // namespace lieq
