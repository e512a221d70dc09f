// report.html from values: what the page shows, escaping, self-containment, errors.
#include "report/html_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/html_escape.h"
#include "report/plan_svg.h"
#include "report/run_summary.h"
#include "report_fixture.h"
#include "test_util.h"

namespace lieq {
namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string Render(const ReportInputs& in) {
  Result<std::string> html = RenderHtmlReport(in);
  EXPECT_TRUE(html.ok()) << html.status().message();
  return html.ok() ? *html : "";
}

TEST(HtmlReportTest, ShowsThePlanTableChartsAndPerplexity) {
  const std::string html = Render(testing::SampleReportInputs());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<table id=\"plan\">"), std::string::npos);
  // One row per block plus the header; each block's width in a coloured cell.
  const size_t table = html.find("<table id=\"plan\">");
  const std::string plan_table = html.substr(table, html.find("</table>", table) - table);
  EXPECT_EQ(Count(plan_table, "<tr>"), 9u);
  EXPECT_EQ(Count(plan_table, "<td class=\"bits\""), 8u);
  EXPECT_NE(plan_table.find("background:#9bbb59\">8</td>"), std::string::npos) << plan_table;
  EXPECT_NE(plan_table.find("<th>ΔPPL</th>"), std::string::npos);
  // The plan chart, the per-block diagnostics bars and the proxy–ΔPPL scatter.
  EXPECT_EQ(Count(html, "<svg "), 3u);
  EXPECT_NE(html.find("bits per block"), std::string::npos);
  EXPECT_NE(html.find("Δr proxy s_l (projection mean)"), std::string::npos);
  EXPECT_NE(html.find("Spearman ρ"), std::string::npos);
  EXPECT_NE(html.find("90.280 ± 1.020"), std::string::npos);
  EXPECT_NE(html.find("99.820 ± 1.110"), std::string::npos);
  EXPECT_NE(html.find("+10.6 %"), std::string::npos);
  EXPECT_NE(html.find("<td>diagnostics</td><td>20.2</td>"), std::string::npos);
  EXPECT_NE(html.find("3.26× smaller"), std::string::npos);
}

TEST(HtmlReportTest, EscapesNamesFromInputs) {
  ReportInputs in = testing::SampleReportInputs();
  in.summary->model = "<script>alert('x')</script>";
  in.plan.model = in.summary->model;
  in.summary->stages[0].name = "<b>calib</b>";
  in.diagnostics->aggregate = "<script>evil()</script>";
  const std::string html = Render(in);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>calib"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;evil()"), std::string::npos);
  EXPECT_EQ(EscapeHtml("a&b\"c"), "a&amp;b&quot;c");
}

TEST(HtmlReportTest, IsSelfContained) {
  const std::string html = Render(testing::SampleReportInputs());
  for (const char* fetches :
       {"<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import"}) {
    EXPECT_EQ(html.find(fetches), std::string::npos) << fetches;
  }
  // The only URL is the SVG namespace, which is a name, not a fetch.
  EXPECT_EQ(Count(html, "://"), Count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
}

TEST(HtmlReportTest, PlanAloneHasNoDiagnosticsOrPerplexity) {
  ReportInputs in = testing::SampleReportInputs();
  in.diagnostics.reset();
  in.summary.reset();
  const std::string html = Render(in);
  EXPECT_NE(html.find("No diagnostics"), std::string::npos);
  EXPECT_EQ(html.find("Perplexity"), std::string::npos);
  EXPECT_EQ(html.find("<th>ΔPPL</th>"), std::string::npos);
  EXPECT_EQ(Count(html, "<svg "), 1u);
  EXPECT_NE(html.find("lieq report: models/tiny"), std::string::npos);
}

TEST(HtmlReportTest, MismatchedInputsAreErrors) {
  ReportInputs in = testing::SampleReportInputs();
  in.diagnostics->proxy.pop_back();
  Result<std::string> html = RenderHtmlReport(in);
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.status().message().find("7 blocks, the plan 8"), std::string::npos);
  in = testing::SampleReportInputs();
  in.diagnostics->ppl.resize(3);
  EXPECT_FALSE(RenderHtmlReport(in).ok());
  in.plan.bits.clear();
  EXPECT_FALSE(RenderHtmlReport(in).ok());
}

TEST(HtmlReportTest, PlanSvgColoursEachWidth) {
  BitPlan plan;
  plan.bits = {2, 3, 4, 8};
  const std::string svg = PlanSvg(plan);
  for (int bits : {2, 3, 4, 8}) {
    EXPECT_NE(svg.find(std::string("fill=\"") + BitWidthColour(bits) + "\"><title>block"),
              std::string::npos)
        << bits;
  }
  EXPECT_STRNE(BitWidthColour(2), BitWidthColour(4));
}

TEST(RunSummaryTest, JsonRoundTripAndFieldErrors) {
  const RunSummary s = *testing::SampleReportInputs().summary;
  Result<RunSummary> back = RunSummaryFromJson(RunSummaryToJson(s), "s.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(RunSummaryToJson(*back), RunSummaryToJson(s));
  EXPECT_TRUE(RunSummaryFromJson(nlohmann::json::object(), "s.json").ok());

  const std::pair<const char*, const char*> bad[] = {
      {R"([1])", "s.json: not a JSON object"},
      {R"({"stages": [{"name": "x", "seconds": "1"}]})",
       "s.json: \"stages\"[0].\"seconds\" is not a number"},
      {R"({"size_bytes_after": 1.5})", "s.json: \"size_bytes_after\" is not an integer"},
      {R"({"ppl": {"fp": {"ppl": "high"}}})", "s.json: \"ppl\".\"fp\".\"ppl\" is not a number"},
      {R"({"model": 3})", "s.json: \"model\" is not a string"},
  };
  for (const auto& [text, message] : bad) {
    Result<RunSummary> r = RunSummaryFromJson(nlohmann::json::parse(text), "s.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().message(), message);
  }
}

TEST(HtmlReportTest, WritesAtomicallyAndRefusesToOverwrite) {
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/report.html";
  const ReportInputs in = testing::SampleReportInputs();
  ASSERT_TRUE(WriteHtmlReport(path, in, {}).ok());
  const Status again = WriteHtmlReport(path, in, {});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.message();
  EXPECT_TRUE(WriteHtmlReport(path, in, WriteOptions{.overwrite = true}).ok());
  ReportInputs bad = in;
  bad.plan.bits.clear();
  EXPECT_FALSE(WriteHtmlReport(path, bad, WriteOptions{.overwrite = true}).ok());
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), Render(in)) << "a failed render must leave the old page";
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
}

}  // namespace
}  // namespace lieq
