// The tasks `lieq eval` knows: their names, what the harness reports for each, and which files
// under the data folder (default ../shared/data/tasks) hold them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "eval/task.h"

namespace lieq {

// The eight tasks in the order of the paper's tables; the names `--tasks` accepts.
const std::vector<std::string>& TaskNames();

// The spec of a task by name; "lambada" and "lambada_openai" are the same task.
Result<TaskSpec> FindTask(std::string_view name);

// Reads the task's files under `data_dir` (e.g. arc/ARC-Easy-Test.jsonl).
Result<TaskData> LoadTask(std::string_view name, const std::string& data_dir);

}  // namespace lieq
