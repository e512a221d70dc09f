// lm-evaluation-harness's zero-shot prompt templates (lm_eval/tasks/<task>/*.yaml and utils.py,
// v0.4), as functions of a data set's fields. docs/TASKS.md lists each one.
//
// Multiple-choice continuations are kTargetDelimiter + choice, the harness's default
// target_delimiter. Every function here is pure string work; readers of the files are in
// task_loaders.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "eval/task.h"

namespace lieq {

inline constexpr std::string_view kTargetDelimiter = " ";

// Python's len() of a str: the number of Unicode code points of UTF-8 `text`.
int64_t CodePointCount(std::string_view text);

// Python's str.strip() for ASCII whitespace.
std::string_view StripWhitespace(std::string_view text);

// One context shared by all choices: requests (context, " " + choice), lengths len(choice).
TaskItem MultipleChoiceItem(std::string context, std::span<const std::string> choices, int gold);

// arc_easy, arc_challenge: "Question: {question}\nAnswer:" / " {choice}".
TaskItem ArcItem(std::string_view question, std::span<const std::string> choices, int gold);

// piqa: "Question: {goal}\nAnswer:" / " {sol1}", " {sol2}".
TaskItem PiqaItem(std::string_view goal, std::span<const std::string> solutions, int gold);

// hellaswag utils.preprocess: strip, " [title]" -> ". ", drop "[...]" (shortest match), "  " -> "
// ".
std::string HellaswagPreprocess(std::string_view text);

// hellaswag: preprocess(context) / " " + preprocess(ending). `context` is the harness's
// activity_label + ": " + ctx_a + " " + ctx_b (see docs/TASKS.md for the ctx_b capital).
TaskItem HellaswagItem(std::string_view context, std::span<const std::string> endings, int gold);

// winogrande, partial evaluation (Trinh & Le 2018): context = sentence up to the "_" with the
// option in its place, continuation = " " + the rest of the sentence stripped; the choices differ
// in their contexts, so acc_norm is not defined. `sentence` must contain a "_".
TaskItem WinograndeItem(std::string_view sentence, std::span<const std::string> options, int gold);

// boolq (super_glue): "{passage}\nQuestion: {question}?\nAnswer:" / " no", " yes".
TaskItem BoolqItem(std::string_view passage, std::string_view question, int gold);

// openbookqa: "{question_stem}" / " {choice}".
TaskItem OpenbookqaItem(std::string_view question_stem, std::span<const std::string> choices,
                        int gold);

// lambada_openai: context = the text without its last word, continuation = " " + last word.
TaskItem LambadaItem(std::string_view context, std::string_view last_word);

}  // namespace lieq
