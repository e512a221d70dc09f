#include "eval/task_report.h"

#include <cstdio>

#include "core/mapped_file.h"
#include "tokenizer/json_util.h"

namespace lieq {
namespace {

using nlohmann::json;

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// "45.12 ± 1.02" for an accuracy, "12.34 ± 0.56" for a perplexity.
std::string Cell(const Metric* metric, double scale) {
  if (metric == nullptr) return "";
  return Format("%.2f", metric->estimate.value * scale) + " ± " +
         Format("%.2f", metric->estimate.std_error * scale);
}

// Mean of the summary metric over tasks, and of the baseline's over the tasks it has.
struct Averages {
  double ours = 0;
  double ours_with_baseline = 0;
  double baseline = 0;
  int with_baseline = 0;
};

Averages Average(const std::vector<TaskResult>& results, const ReportConfig& config,
                 const Baseline* baseline) {
  Averages a;
  for (const TaskResult& r : results) {
    const double v = SummaryMetric(r, config.summary_metric).estimate.value;
    a.ours += v / static_cast<double>(results.size());
    const std::optional<double> b =
        baseline ? BaselineValue(*baseline, r, config.summary_metric) : std::nullopt;
    if (b) {
      a.ours_with_baseline += v;
      a.baseline += *b;
      ++a.with_baseline;
    }
  }
  return a;
}

}  // namespace

Result<Baseline> ReadBaseline(const std::string& path) {
  LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  LIEQ_ASSIGN_OR_RETURN(json j, json_util::Parse(text, path));
  const json* results = json_util::Member(j, "results");
  if (results == nullptr || !results->is_object()) {
    return DataLoss(path + ": no \"results\" object (expected lm-evaluation-harness's shape)");
  }
  Baseline baseline;
  baseline.file = path;
  for (const auto& [task, metrics] : results->items()) {
    if (!metrics.is_object()) continue;
    for (const auto& [key, value] : metrics.items()) {
      const size_t comma = key.find(',');
      if (!value.is_number() || key.find("_stderr") != std::string::npos) continue;
      baseline.results[task][key.substr(0, comma)] = value.get<double>();
    }
  }
  return baseline;
}

const Metric& SummaryMetric(const TaskResult& result, const std::string& name) {
  const Metric* m = result.Find(name);
  return m != nullptr ? *m : *result.Find("acc");
}

std::optional<double> BaselineValue(const Baseline& baseline, const TaskResult& result,
                                    const std::string& name) {
  const auto task = baseline.results.find(result.spec.name);
  if (task == baseline.results.end()) return std::nullopt;
  const auto value = task->second.find(SummaryMetric(result, name).name);
  if (value == task->second.end()) return std::nullopt;
  return value->second;
}

json ResultsJson(const std::vector<TaskResult>& results, const ReportConfig& config,
                 const Baseline* baseline) {
  json j;
  json& out = j["results"] = json::object();
  json& samples = j["n-samples"] = json::object();
  json& shots = j["n-shot"] = json::object();
  json& better = j["higher_is_better"] = json::object();
  json& timing = j["lieq"]["timing"] = json::object();
  for (const TaskResult& r : results) {
    const std::string& task = r.spec.name;
    json& t = out[task] = {{"alias", task}};
    for (const Metric& m : r.metrics) {
      t[m.name + ",none"] = m.estimate.value;
      t[m.name + "_stderr,none"] = m.estimate.std_error;
      better[task][m.name] = m.higher_is_better;
    }
    samples[task] = {{"original", r.items_total}, {"effective", r.items}};
    shots[task] = 0;
    timing[task] = {{"seconds", r.seconds},
                    {"items_per_second", r.seconds > 0 ? r.items / r.seconds : 0.0},
                    {"requests", r.requests},
                    {"tokens_run", r.tokens_run},
                    {"truncated_requests", r.truncated_requests}};
  }
  j["config"] = {{"model", "lieq"},
                 {"model_args", config.model},
                 {"data_dir", config.data_dir},
                 {"limit", config.limit > 0 ? json(config.limit) : json(nullptr)},
                 {"max_length", config.max_length},
                 {"add_bos_token", config.add_bos},
                 {"threads", config.threads},
                 {"num_fewshot", 0}};
  json& summary = j["lieq"]["summary"];
  const Averages a = Average(results, config, baseline);
  summary = {{"metric", config.summary_metric}, {"average", a.ours}, {"tasks", results.size()}};
  if (baseline != nullptr) {
    summary["baseline"] = baseline->file;
    json percent = json::object();
    for (const TaskResult& r : results) {
      if (const auto b = BaselineValue(*baseline, r, config.summary_metric); b && *b > 0) {
        percent[r.spec.name] = 100.0 * SummaryMetric(r, config.summary_metric).estimate.value / *b;
      }
    }
    summary["percent_of_baseline"] = percent;
    if (a.with_baseline > 0 && a.baseline > 0) {
      summary["average_percent_of_baseline"] = 100.0 * a.ours_with_baseline / a.baseline;
    }
  }
  return j;
}

std::string MarkdownSummary(const std::vector<TaskResult>& results, const ReportConfig& config,
                            const Baseline* baseline) {
  std::string md = "| task | items | acc (%) | acc_norm (%) | perplexity |";
  std::string rule = "|---|---:|---:|---:|---:|";
  if (baseline != nullptr) {
    md += " % of baseline (" + config.summary_metric + ") |";
    rule += "---:|";
  }
  md += "\n" + rule + "\n";
  for (const TaskResult& r : results) {
    md += "| " + r.spec.name + " | " + std::to_string(r.items) + " | " + Cell(r.Find("acc"), 100) +
          " | " + Cell(r.Find("acc_norm"), 100) + " | " + Cell(r.Find("perplexity"), 1) + " |";
    if (baseline != nullptr) {
      const auto b = BaselineValue(*baseline, r, config.summary_metric);
      if (b && *b > 0) {
        md += " ";
        md += Format("%.1f", 100.0 * SummaryMetric(r, config.summary_metric).estimate.value / *b);
      }
      md += " |";
    }
    md += "\n";
  }
  const Averages a = Average(results, config, baseline);
  md +=
      "| **average " + config.summary_metric + "** | | " + Format("%.2f", 100 * a.ours) + " | | |";
  if (baseline != nullptr) {
    if (a.with_baseline > 0 && a.baseline > 0) {
      md += " ";
      md += Format("%.1f", 100.0 * a.ours_with_baseline / a.baseline);
    }
    md += " |";
  }
  return md + "\n";
}

}  // namespace lieq
