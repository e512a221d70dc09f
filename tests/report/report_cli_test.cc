// `lieq report` from plan, diagnostics and summary files, and the page it writes opened in
// headless Chromium: a non-blank screenshot, no console messages, the plan table in the DOM.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "plan/bit_plan.h"
#include "report/run_summary.h"
#include "report_fixture.h"
#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir();
    const ReportInputs in = testing::SampleReportInputs();
    WriteText(Path("plan.json"), BitPlanToJson(in.plan).dump(2));
    // The fields of diagnostics.json (`lieq diagnose`) that the report reads.
    const DiagnosticsScores& d = *in.diagnostics;
    const nlohmann::json diagnostics = {
        {"format", "lieq-diagnostics"},
        {"model", d.model},
        {"settings", {{"aggregate", d.aggregate}, {"top_k", d.top_k}}},
        {"scores",
         {{"proxy", d.proxy}, {"ppl", d.ppl}, {"combined", d.combined}, {"delta_e", d.delta_e}}}};
    WriteText(Path("diagnostics.json"), diagnostics.dump(2));
    RunSummary summary = *in.summary;
    summary.model = "models/<script>alert(1)</script>";
    WriteText(Path("summary.json"), RunSummaryToJson(summary).dump(2));
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  int Lieq(const std::string& args, std::string* output) const {
    return testing::RunCommand(testing::LieqBinary() + " " + args, output);
  }
  std::string AllInputs() const {
    return "report --plan " + Path("plan.json") + " --diagnostics " + Path("diagnostics.json") +
           " --summary " + Path("summary.json");
  }
  std::string dir_;
};

TEST_F(ReportCliTest, WritesThePageFromTheFiles) {
  std::string out;
  ASSERT_EQ(Lieq(AllInputs() + " -o " + Path("report.html"), &out), 0) << out;
  const std::string html = ReadText(Path("report.html"));
  EXPECT_TRUE(Contains(html, "<table id=\"plan\">"));
  EXPECT_TRUE(Contains(html, "ΔPPL (block skipped − base)"));
  EXPECT_TRUE(Contains(html, "99.820 ± 1.110"));
  EXPECT_TRUE(Contains(html, "&lt;script&gt;alert(1)"));
  EXPECT_FALSE(Contains(html, "<script"));
  // The plan alone is enough (a uniform plan has no diagnostics).
  ASSERT_EQ(Lieq("report --plan " + Path("plan.json") + " -o " + Path("plan-only.html"), &out), 0)
      << out;
  EXPECT_TRUE(Contains(ReadText(Path("plan-only.html")), "No diagnostics"));
}

TEST_F(ReportCliTest, ErrorsNameTheFileAndKeepTheOutput) {
  std::string out;
  ASSERT_EQ(Lieq(AllInputs() + " -o " + Path("report.html"), &out), 0) << out;
  const std::string before = ReadText(Path("report.html"));
  EXPECT_NE(Lieq(AllInputs() + " -o " + Path("report.html"), &out), 0)
      << "overwrote without --force";

  WriteText(Path("broken.json"), "{\"format\": ");
  WriteText(Path("short.json"), R"({"format": "lieq-diagnostics", "scores": {"proxy": [1, 2]}})");
  WriteText(Path("bad-summary.json"), R"({"stages": "fast"})");
  const std::pair<std::string, std::string> cases[] = {
      {"--plan " + Path("missing.json"), "missing.json"},
      {"--plan " + Path("broken.json"), "broken.json"},
      {"--plan " + Path("plan.json") + " --diagnostics " + Path("broken.json"),
       "broken.json: not valid JSON"},
      {"--plan " + Path("plan.json") + " --diagnostics " + Path("short.json"),
       "plan.json and " + Path("short.json") + ": the diagnostics have 2 blocks, the plan 8"},
      {"--plan " + Path("plan.json") + " --summary " + Path("bad-summary.json"),
       "bad-summary.json: \"stages\" is not an array"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_NE(Lieq("report " + args + " --force -o " + Path("report.html"), &out), 0) << args;
    EXPECT_TRUE(Contains(out, message)) << args << "\n" << out;
  }
  EXPECT_EQ(ReadText(Path("report.html")), before) << "a failed run replaced the page";
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 7u) << "a temporary file was left behind";
}

// Width and height from a PNG's IHDR chunk; {0, 0} when `png` is not a PNG.
std::pair<uint32_t, uint32_t> PngSize(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      png.compare(12, 4, "IHDR") != 0) {
    return {0, 0};
  }
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

// CI (scripts/test.sh → scripts/setup.sh) installs Chromium, so its absence is a failure.
TEST_F(ReportCliTest, OpensInHeadlessChromium) {
  std::string out;
  ASSERT_EQ(testing::RunCommand("command -v chromium", &out), 0)
      << "chromium is not installed (scripts/setup.sh installs it)";
  ASSERT_EQ(Lieq(AllInputs() + " -o " + Path("report.html"), &out), 0) << out;
  WriteText(Path("blank.html"), "<!DOCTYPE html><html><body></body></html>");
  // A page that logs to the console: proves the check below sees console messages.
  WriteText(
      Path("noisy.html"),
      "<!DOCTYPE html><html><body><p>x</p><script>console.error('noisy');</script></body></html>");
  const std::string chromium =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --window-size=1200,1600 "
      "--enable-logging=stderr --v=0 --user-data-dir=";
  // Four browsers at once keep the test to one browser start's time. "cd ...;" and not
  // "cd ... &&", which would put the cd in the first browser's background job only.
  auto browser = [&](const std::string& profile, const std::string& action, const std::string& page,
                     const std::string& log) {
    return chromium + profile + " " + action + " file://" + Path(page) + " 2>" + log + " & ";
  };
  const std::string run =
      "cd " + dir_ + " || exit 1; " +
      browser("p1", "--screenshot=" + Path("report.png"), "report.html", "report.log") +
      browser("p2", "--screenshot=" + Path("blank.png"), "blank.html", "blank.log") +
      browser("p3", "--screenshot=" + Path("noisy.png"), "noisy.html", "noisy.log") +
      browser("p4", "--dump-dom", "report.html", "dom.log >dom.html") + "wait";
  ASSERT_EQ(testing::RunCommand(run, &out), 0) << out;

  const std::string png = ReadText(Path("report.png"));
  const std::string blank = ReadText(Path("blank.png"));
  EXPECT_EQ(PngSize(png), (std::pair<uint32_t, uint32_t>{1200, 1600}))
      << ReadText(Path("report.log"));
  ASSERT_GT(blank.size(), 0u) << ReadText(Path("blank.log"));
  // A white page compresses to a few KB; text, tables and charts make the image far larger.
  EXPECT_GT(png.size(), 4 * blank.size()) << png.size() << " vs blank " << blank.size();

  const std::string log = ReadText(Path("report.log"));
  EXPECT_FALSE(Contains(log, ":CONSOLE")) << log;
  EXPECT_FALSE(Contains(log, "Uncaught")) << log;
  EXPECT_TRUE(Contains(ReadText(Path("noisy.log")), ":CONSOLE"))
      << "the console check sees nothing";

  const std::string dom = ReadText(Path("dom.html"));
  EXPECT_TRUE(Contains(dom, "<table id=\"plan\">")) << dom.substr(0, 2000);
  EXPECT_TRUE(Contains(dom, "<svg"));
  EXPECT_TRUE(Contains(dom, "lieq report: models/&lt;script&gt;")) << dom.substr(0, 2000);
}

}  // namespace
}  // namespace lieq
