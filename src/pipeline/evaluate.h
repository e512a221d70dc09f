// The pipeline's optional last stage (--eval-text): perplexity of the FP model and of the
// quantized output on one text, GPTQ protocol, for the summary and report.html.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"
#include "pipeline/progress.h"
#include "report/run_summary.h"

namespace lieq {

struct EvalTextOptions {
  std::string text_file;
  int64_t ctx = 0;          // 0: 2048 capped at the model's context
  int64_t max_windows = 0;  // 0: all
};

// Perplexity ± standard error of `model` on the options' text (tokenized by the model's own
// tokenizer); `label` names the model in progress lines and errors ("FP", "quantized").
Result<PplMeasurement> MeasurePerplexity(const Model& model, const EvalTextOptions& options,
                                         const std::string& label, ThreadPool& pool,
                                         Progress& progress, int64_t* ctx_used);

}  // namespace lieq
