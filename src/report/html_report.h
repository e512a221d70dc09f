// report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched) that
// shows a quantization run to a person: the per-block plan as a chart and a table, the
// diagnostics charts the plan came from, and, when measured, stage times, sizes and the
// perplexity of the FP model against the quantized one.
#pragma once

#include <optional>
#include <string>

#include "analysis/diagnostics.h"
#include "core/atomic_file.h"
#include "core/status.h"
#include "plan/bit_plan.h"
#include "report/run_summary.h"

namespace lieq {

struct ReportInputs {
  BitPlan plan;
  std::optional<DiagnosticsScores> diagnostics;  // none for a uniform or manual plan
  std::optional<RunSummary> summary;             // none when only a plan and diagnostics exist
};

// The page. Errors when the diagnostics and the plan disagree on the number of blocks or a
// per-block series has the wrong length.
Result<std::string> RenderHtmlReport(const ReportInputs& inputs);

// Renders and writes atomically (core/atomic_file.h): never a half-written page.
Status WriteHtmlReport(const std::string& path, const ReportInputs& inputs,
                       const WriteOptions& options);

}  // namespace lieq
