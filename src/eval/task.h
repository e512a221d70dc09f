// A zero-shot task as lm-evaluation-harness runs it: each item is a list of loglikelihood
// requests (context, continuation), one per answer choice, plus the index of the right one.
// The templates that turn a data set's fields into requests live in task_templates.h, the file
// readers in task_loaders.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lieq {

// One loglikelihood request: log P(continuation | context), summed over the continuation's
// tokens, as the harness's `loglikelihood` request type.
struct Request {
  std::string context;
  std::string continuation;
};

enum class TaskKind {
  kMultipleChoice,  // acc (argmax of summed log-likelihood), optionally acc_norm
  kLastWord,        // LAMBADA: acc = greedy decoding reproduces the continuation, perplexity
};

// What the harness reports for a task, under its harness name.
struct TaskSpec {
  std::string name;  // harness task name, e.g. "arc_easy", "lambada_openai"
  TaskKind kind = TaskKind::kMultipleChoice;
  bool acc_norm = false;  // the harness reports acc_norm for this task
};

struct TaskItem {
  std::vector<Request> requests;  // one per choice (multiple choice) or one (LAMBADA)
  // Length of each choice in Unicode code points, the divisor of acc_norm (the harness's
  // len(choice) of a Python str, without the target delimiter).
  std::vector<int64_t> choice_lengths;
  int gold = 0;      // index of the right choice
  int64_t line = 0;  // 1-based line of the item in its file, for messages
};

struct TaskData {
  TaskSpec spec;
  std::string source;  // the file the items came from
  std::vector<TaskItem> items;
};

}  // namespace lieq
