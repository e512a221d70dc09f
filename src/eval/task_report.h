// Zero-shot results in lm-evaluation-harness's JSON shape (results[task]["acc,none"],
// ["acc_stderr,none"], ..., "n-samples", "config") plus a Markdown summary table, an average
// over tasks and, against a baseline results file, each task as a percentage of the baseline
// (the paper's "% of FP16").
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/task_eval.h"

namespace lieq {

struct ReportConfig {
  std::string model;
  std::string data_dir;
  int64_t limit = 0;
  int64_t max_length = 0;
  bool add_bos = false;
  int threads = 0;
  // The metric averaged over tasks and compared with the baseline: "acc" or "acc_norm" (a task
  // without acc_norm contributes its acc).
  std::string summary_metric = "acc";
};

// results[task][metric] of a results file written by `lieq eval --json` or by the harness.
struct Baseline {
  std::string file;
  std::map<std::string, std::map<std::string, double>> results;
};
Result<Baseline> ReadBaseline(const std::string& path);

// The result's metric named `name`, or its acc when it has none of that name.
const Metric& SummaryMetric(const TaskResult& result, const std::string& name);

// The baseline's value of the same metric as SummaryMetric picks, if the baseline has the task.
std::optional<double> BaselineValue(const Baseline& baseline, const TaskResult& result,
                                    const std::string& name);

nlohmann::json ResultsJson(const std::vector<TaskResult>& results, const ReportConfig& config,
                           const Baseline* baseline);

// Accuracies in percent with their standard errors; an average row; "% of baseline" column
// when a baseline is given.
std::string MarkdownSummary(const std::vector<TaskResult>& results, const ReportConfig& config,
                            const Baseline* baseline);

}  // namespace lieq
