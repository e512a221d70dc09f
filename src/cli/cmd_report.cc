// lieq report --plan P.json [--diagnostics D.json] [--summary S.json] -o report.html: the
// self-contained page of report/html_report.h from the files `lieq plan` and `lieq diagnose`
// write (and a run summary, report/run_summary.h for its schema).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analysis/diagnostics.h"
#include "cli/command.h"
#include "cli/preflight.h"
#include "plan/bit_plan.h"
#include "report/html_report.h"
#include "report/run_summary.h"

namespace lieq::cli {
namespace {

struct ReportCliOptions {
  std::string plan;
  std::string diagnostics;
  std::string summary;
  std::string output;
  bool force = false;
  bool json = false;
};

Status RunReport(const ReportCliOptions& o) {
  LIEQ_RETURN_IF_ERROR(PreflightOutputFile(o.output, o.force));
  LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.plan, "--plan"));
  if (!o.diagnostics.empty())
    LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.diagnostics, "--diagnostics"));
  if (!o.summary.empty()) LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.summary, "--summary"));

  ReportInputs inputs;
  LIEQ_ASSIGN_OR_RETURN(inputs.plan, ReadBitPlan(o.plan));
  if (!o.diagnostics.empty()) {
    LIEQ_ASSIGN_OR_RETURN(const nlohmann::json j, ReadJsonFile(o.diagnostics));
    LIEQ_ASSIGN_OR_RETURN(inputs.diagnostics, DiagnosticsScoresFromJson(j, o.diagnostics));
  }
  if (!o.summary.empty()) {
    LIEQ_ASSIGN_OR_RETURN(const nlohmann::json j, ReadJsonFile(o.summary));
    LIEQ_ASSIGN_OR_RETURN(inputs.summary, RunSummaryFromJson(j, o.summary));
  }
  // A mismatch is between the inputs, so both are named.
  const std::string inputs_named = o.plan + (o.diagnostics.empty() ? "" : " and " + o.diagnostics);
  const Status written = WriteHtmlReport(o.output, inputs, WriteOptions{.overwrite = o.force});
  if (written.code() == StatusCode::kInvalidArgument) return written.WithContext(inputs_named);
  LIEQ_RETURN_IF_ERROR(written);
  if (o.json) {
    std::printf("%s\n", nlohmann::json{{"output", o.output}}.dump(2).c_str());
  } else {
    std::printf("wrote %s\n", o.output.c_str());
  }
  return Status::Ok();
}

}  // namespace

void RegisterReport(CLI::App& root, Status& result) {
  auto opts = std::make_shared<ReportCliOptions>();
  CLI::App* app = root.add_subcommand(
      "report", "A self-contained report.html from a plan, its diagnostics and a run summary");
  app->add_option("--plan", opts->plan, "BitPlan JSON (lieq plan)")->required();
  app->add_option("--diagnostics", opts->diagnostics,
                  "diagnostics.json (lieq diagnose); charts and per-block scores");
  app->add_option("--summary", opts->summary,
                  "Run summary JSON: stage times, sizes, FP vs quantized perplexity "
                  "(schema: src/report/run_summary.h)");
  app->add_option("-o,--output", opts->output, "HTML file to write")->required();
  app->add_flag("--force", opts->force, "Overwrite an existing output");
  // No --threads: rendering is a few milliseconds of string work.
  app->add_flag("--json", opts->json, "Print machine-readable JSON on stdout");
  app->callback([opts, &result] { result = RunReport(*opts); });
}

}  // namespace lieq::cli
