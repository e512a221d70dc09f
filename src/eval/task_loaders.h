// Readers of the zero-shot task files (../shared/data/tasks; formats in ../shared/README.md and
// docs/TASKS.md), producing TaskItems through the templates of task_templates.h.
//
// Each reader takes the file contents and the file name, so that tests can feed strings. A
// malformed line is a kDataLoss "<file>:<line>: <problem>"; blank lines are skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "eval/task.h"

namespace lieq {

// ARC JSON lines in either form: AI2's original {"question": {"stem", "choices": [{"text",
// "label"}]}, "answerKey"} or the flat {"question", "options": [{"label", "text"}], "answer"}.
Result<std::vector<TaskItem>> ParseArc(std::string_view text, const std::string& file);

// PIQA valid.jsonl ({"goal", "sol1", "sol2"}) with valid-labels.lst (one 0/1 per line).
Result<std::vector<TaskItem>> ParsePiqa(std::string_view jsonl, const std::string& file,
                                        std::string_view labels, const std::string& labels_file);

// WinoGrande dev.jsonl ({"sentence" with one "_", "option1", "option2"[, "answer"]}) with
// dev-labels.lst (one 1/2 per line); an "answer" that disagrees with the label is an error.
Result<std::vector<TaskItem>> ParseWinogrande(std::string_view jsonl, const std::string& file,
                                              std::string_view labels,
                                              const std::string& labels_file);

// HellaSwag in llama.cpp's text form: 6 lines per item (context, gold index 0-3, 4 endings).
Result<std::vector<TaskItem>> ParseHellaswag(std::string_view text, const std::string& file);

// BoolQ {"query": "Passage: {passage}\nQuestion: {question}?", "choices": ["no", "yes"],
// "gold"}: passage and question are taken back out of the query for the harness's template.
Result<std::vector<TaskItem>> ParseBoolq(std::string_view text, const std::string& file);

// OpenBookQA {"query": question_stem, "choices": [4 strings], "gold"}.
Result<std::vector<TaskItem>> ParseOpenbookqa(std::string_view text, const std::string& file);

// LAMBADA (OpenAI) {"context", "continuation"}: the continuation is the text's last word.
Result<std::vector<TaskItem>> ParseLambada(std::string_view text, const std::string& file);

// The lines of `text` without their "\n" / "\r\n" ends; a last line without "\n" counts.
std::vector<std::string_view> SplitLines(std::string_view text);

}  // namespace lieq
