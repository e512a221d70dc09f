// Runs one zero-shot task: every item's requests through the LoglikelihoodScorer, then the
// harness's metrics (task_metrics.h) over the items.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "eval/loglikelihood.h"
#include "eval/task.h"
#include "eval/task_metrics.h"
#include "tokenizer/tokenizer.h"

namespace lieq {

struct Metric {
  std::string name;  // harness metric name: "acc", "acc_norm", "perplexity"
  Estimate estimate;
  bool higher_is_better = true;
};

struct TaskResult {
  TaskSpec spec;
  int64_t items_total = 0;      // items in the file
  int64_t items = 0;            // items scored (--limit)
  std::vector<Metric> metrics;  // in the harness's order: acc, acc_norm; perplexity, acc
  int64_t requests = 0;
  int64_t truncated_requests = 0;  // contexts left-truncated to the model's length
  int64_t tokens_run = 0;          // positions the model ran (shared prefixes once)
  double seconds = 0;

  const Metric* Find(std::string_view name) const;
};

struct EvalOptions {
  int64_t limit = 0;     // score the first N items; 0 = all
  bool add_bos = false;  // prepend BOS (the tokenizer's add_bos)
  // Called after each item with (items done, items to do).
  std::function<void(int64_t, int64_t)> progress;
};

Result<TaskResult> EvaluateTask(LoglikelihoodScorer& scorer, const Tokenizer& tokenizer,
                                const TaskData& task, const EvalOptions& options);

}  // namespace lieq
