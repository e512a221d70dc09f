// What a pipeline run did, for people (the summary printed at the end) and for tools
// (STEM.summary.json, which report.html is rendered from together with the BitPlan and the
// diagnostics).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "report/run_summary.h"

namespace lieq {

// A tensor the GGUF export stored in another type than the width asked for (shapes).
struct TypeFallback {
  std::string tensor;
  std::string wanted, used;
};

struct PipelineSummary {
  std::string model, out, format, method;
  std::string plan_file, diagnostics_file, diagnostics_report, summary_file, report_file;
  std::string calibration;  // the user's file, or the built-in text's name
  std::vector<int> bits;    // [L]
  std::string rank_by, rule;
  double budget = 0;
  int group_size = 0;
  int group_size_requested = 0;  // when it did not fit the model (0: as requested)
  double avg_bits_linear = 0;    // over block linear weights
  double avg_bits_file = 0;      // over every weight of the output
  uint64_t bytes_before = 0, bytes_after = 0;
  std::vector<StageTime> stages;  // load, calibration, diagnose, plan, quantize, export, ...
  std::vector<TypeFallback> fallbacks;
  std::vector<std::string> notes;  // said once on stderr as well
  double quantize_seconds = 0;     // the quantize stage (with the export for GGUF)
  double total_seconds = 0;
  int threads = 0;
  std::optional<PplComparison> ppl;  // FP vs quantized on --eval-text
};

// What report.html shows of the run (report/run_summary.h).
RunSummary ToRunSummary(const PipelineSummary& summary);

// RunSummaryToJson(ToRunSummary(summary)) (so `lieq report --summary` reads it) plus the
// pipeline's own fields.
nlohmann::json PipelineSummaryToJson(const PipelineSummary& summary);

// A few lines: widths per block, average bits, sizes, time per stage, the files written.
std::string DescribePipelineSummary(const PipelineSummary& summary);

}  // namespace lieq
