#include "eval/task_loaders.h"

#include <charconv>
#include <functional>

#include "eval/task_templates.h"
#include "tokenizer/json_util.h"

namespace lieq {
namespace {

using json_util::Json;

std::string Where(const std::string& file, int64_t line) {
  return file + ":" + std::to_string(line);
}

// A whole line (after StripWhitespace) as an integer in [lo, hi].
Result<int> ParseLabel(std::string_view text, int lo, int hi) {
  const std::string_view s = StripWhitespace(text);
  int value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || error != std::errc() || end != s.data() + s.size() || value < lo || value > hi) {
    return DataLoss("expected a label " + std::to_string(lo) + ".." + std::to_string(hi) +
                    ", got '" + std::string(s) + "'");
  }
  return value;
}

Result<std::string> StringField(const Json& object, const char* key) {
  const Json* v = json_util::Member(object, key);
  if (v == nullptr) return DataLoss(std::string("missing \"") + key + "\"");
  if (!v->is_string()) return DataLoss(std::string("\"") + key + "\" is not a string");
  return v->get<std::string>();
}

Result<std::vector<std::string>> StringArrayField(const Json& object, const char* key) {
  const Json* v = json_util::Member(object, key);
  if (v == nullptr) return DataLoss(std::string("missing \"") + key + "\"");
  if (!v->is_array() || v->empty()) {
    return DataLoss(std::string("\"") + key + "\" is not a non-empty array");
  }
  std::vector<std::string> out;
  for (const Json& e : *v) {
    if (!e.is_string()) return DataLoss(std::string("\"") + key + "\" holds a non-string");
    out.push_back(e.get<std::string>());
  }
  return out;
}

// An integer member in [0, count).
Result<int> IndexField(const Json& object, const char* key, size_t count) {
  const Json* v = json_util::Member(object, key);
  if (v == nullptr) return DataLoss(std::string("missing \"") + key + "\"");
  if (!v->is_number_integer()) return DataLoss(std::string("\"") + key + "\" is not an integer");
  const int64_t i = v->get<int64_t>();
  if (i < 0 || static_cast<size_t>(i) >= count) {
    return DataLoss(std::string("\"") + key + "\" = " + std::to_string(i) + " is not a choice (" +
                    std::to_string(count) + " choices)");
  }
  return static_cast<int>(i);
}

// Calls `item` on each non-blank line parsed as a JSON object; errors gain "file:line: ".
Status ForEachJsonLine(std::string_view text, const std::string& file,
                       const std::function<Status(const Json&, int64_t)>& item) {
  const std::vector<std::string_view> lines = SplitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (StripWhitespace(lines[i]).empty()) continue;
    const int64_t line = static_cast<int64_t>(i) + 1;
    LIEQ_ASSIGN_OR_RETURN(Json object, json_util::Parse(lines[i], Where(file, line)));
    if (!object.is_object()) return DataLoss(Where(file, line) + ": not a JSON object");
    LIEQ_RETURN_IF_ERROR(item(object, line).WithContext(Where(file, line)));
  }
  return Status::Ok();
}

// The non-blank lines of a labels file parsed as integers in [lo, hi].
Result<std::vector<int>> ReadLabels(std::string_view text, const std::string& file, int lo,
                                    int hi) {
  std::vector<int> labels;
  const std::vector<std::string_view> lines = SplitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (StripWhitespace(lines[i]).empty()) continue;
    Result<int> label = ParseLabel(lines[i], lo, hi);
    if (!label.ok()) return label.status().WithContext(Where(file, static_cast<int64_t>(i) + 1));
    labels.push_back(*label);
  }
  return labels;
}

Status CheckSameCount(size_t items, const std::string& file, size_t labels,
                      const std::string& labels_file) {
  if (items == labels) return Status::Ok();
  return DataLoss(labels_file + ": " + std::to_string(labels) + " labels for the " +
                  std::to_string(items) + " items of " + file);
}

// ARC's choices in either form, with the index of the answer label.
Status ReadArcChoices(const Json& choices, const std::string& answer,
                      std::vector<std::string>* texts, int* gold) {
  if (!choices.is_array() || choices.empty())
    return DataLoss("the choices are not a non-empty array");
  *gold = -1;
  for (const Json& choice : choices) {
    LIEQ_ASSIGN_OR_RETURN(std::string label, StringField(choice, "label"));
    LIEQ_ASSIGN_OR_RETURN(std::string text, StringField(choice, "text"));
    if (label == answer) *gold = static_cast<int>(texts->size());
    texts->push_back(std::move(text));
  }
  if (*gold < 0) return DataLoss("the answer '" + answer + "' is none of the choice labels");
  return Status::Ok();
}

}  // namespace

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

Result<std::vector<TaskItem>> ParseArc(std::string_view text, const std::string& file) {
  std::vector<TaskItem> items;
  LIEQ_RETURN_IF_ERROR(ForEachJsonLine(text, file, [&](const Json& doc, int64_t line) -> Status {
    const Json* question = json_util::Member(doc, "question");
    if (question == nullptr) return DataLoss("missing \"question\"");
    std::string stem, answer;
    const Json* choices = nullptr;
    if (question->is_object()) {  // AI2's original form
      LIEQ_ASSIGN_OR_RETURN(stem, StringField(*question, "stem"));
      LIEQ_ASSIGN_OR_RETURN(answer, StringField(doc, "answerKey"));
      choices = json_util::Member(*question, "choices");
    } else {
      LIEQ_ASSIGN_OR_RETURN(stem, StringField(doc, "question"));
      LIEQ_ASSIGN_OR_RETURN(answer, StringField(doc, "answer"));
      choices = json_util::Member(doc, "options");
    }
    if (choices == nullptr) return DataLoss("missing the choices (\"choices\" or \"options\")");
    std::vector<std::string> texts;
    int gold = 0;
    LIEQ_RETURN_IF_ERROR(ReadArcChoices(*choices, answer, &texts, &gold));
    items.push_back(ArcItem(stem, texts, gold));
    items.back().line = line;
    return Status::Ok();
  }));
  return items;
}

Result<std::vector<TaskItem>> ParsePiqa(std::string_view jsonl, const std::string& file,
                                        std::string_view labels, const std::string& labels_file) {
  LIEQ_ASSIGN_OR_RETURN(std::vector<int> golds, ReadLabels(labels, labels_file, 0, 1));
  std::vector<TaskItem> items;
  LIEQ_RETURN_IF_ERROR(ForEachJsonLine(jsonl, file, [&](const Json& doc, int64_t line) -> Status {
    LIEQ_ASSIGN_OR_RETURN(std::string goal, StringField(doc, "goal"));
    LIEQ_ASSIGN_OR_RETURN(std::string sol1, StringField(doc, "sol1"));
    LIEQ_ASSIGN_OR_RETURN(std::string sol2, StringField(doc, "sol2"));
    if (items.size() >= golds.size()) return DataLoss("no label in " + labels_file);
    const std::string solutions[] = {sol1, sol2};
    items.push_back(PiqaItem(goal, solutions, golds[items.size()]));
    items.back().line = line;
    return Status::Ok();
  }));
  LIEQ_RETURN_IF_ERROR(CheckSameCount(items.size(), file, golds.size(), labels_file));
  return items;
}

Result<std::vector<TaskItem>> ParseWinogrande(std::string_view jsonl, const std::string& file,
                                              std::string_view labels,
                                              const std::string& labels_file) {
  LIEQ_ASSIGN_OR_RETURN(std::vector<int> answers, ReadLabels(labels, labels_file, 1, 2));
  std::vector<TaskItem> items;
  LIEQ_RETURN_IF_ERROR(ForEachJsonLine(jsonl, file, [&](const Json& doc, int64_t line) -> Status {
    LIEQ_ASSIGN_OR_RETURN(std::string sentence, StringField(doc, "sentence"));
    LIEQ_ASSIGN_OR_RETURN(std::string option1, StringField(doc, "option1"));
    LIEQ_ASSIGN_OR_RETURN(std::string option2, StringField(doc, "option2"));
    if (sentence.find('_') == std::string::npos) return DataLoss("the sentence has no \"_\"");
    if (items.size() >= answers.size()) return DataLoss("no label in " + labels_file);
    const int answer = answers[items.size()];
    if (json_util::Member(doc, "answer") != nullptr) {
      LIEQ_ASSIGN_OR_RETURN(std::string own, StringField(doc, "answer"));
      if (own != std::to_string(answer)) {
        return DataLoss("\"answer\" is '" + own + "' but " + labels_file + " says " +
                        std::to_string(answer));
      }
    }
    const std::string options[] = {option1, option2};
    items.push_back(WinograndeItem(sentence, options, answer - 1));
    items.back().line = line;
    return Status::Ok();
  }));
  LIEQ_RETURN_IF_ERROR(CheckSameCount(items.size(), file, answers.size(), labels_file));
  return items;
}

Result<std::vector<TaskItem>> ParseHellaswag(std::string_view text, const std::string& file) {
  constexpr size_t kLinesPerItem = 6;  // context, gold, 4 endings
  const std::vector<std::string_view> lines = SplitLines(text);
  if (lines.size() % kLinesPerItem != 0) {
    const size_t first = lines.size() - lines.size() % kLinesPerItem;
    return DataLoss(Where(file, static_cast<int64_t>(first) + 1) + ": the last item has " +
                    std::to_string(lines.size() - first) + " of its " +
                    std::to_string(kLinesPerItem) + " lines");
  }
  std::vector<TaskItem> items;
  for (size_t i = 0; i < lines.size(); i += kLinesPerItem) {
    Result<int> gold = ParseLabel(lines[i + 1], 0, 3);
    if (!gold.ok()) return gold.status().WithContext(Where(file, static_cast<int64_t>(i) + 2));
    const std::vector<std::string> endings(lines.begin() + static_cast<int64_t>(i) + 2,
                                           lines.begin() + static_cast<int64_t>(i + kLinesPerItem));
    items.push_back(HellaswagItem(lines[i], endings, *gold));
    items.back().line = static_cast<int64_t>(i) + 1;
  }
  return items;
}

Result<std::vector<TaskItem>> ParseBoolq(std::string_view text, const std::string& file) {
  static constexpr std::string_view kPassage = "Passage: ", kQuestion = "\nQuestion: ";
  std::vector<TaskItem> items;
  LIEQ_RETURN_IF_ERROR(ForEachJsonLine(text, file, [&](const Json& doc, int64_t line) -> Status {
    LIEQ_ASSIGN_OR_RETURN(std::string query, StringField(doc, "query"));
    LIEQ_ASSIGN_OR_RETURN(std::vector<std::string> choices, StringArrayField(doc, "choices"));
    if (choices != std::vector<std::string>{"no", "yes"}) {
      return DataLoss("\"choices\" are not [\"no\", \"yes\"]");
    }
    LIEQ_ASSIGN_OR_RETURN(int gold, IndexField(doc, "gold", choices.size()));
    const size_t split = query.rfind(kQuestion);
    if (!query.starts_with(kPassage) || split == std::string::npos || !query.ends_with("?")) {
      return DataLoss("\"query\" is not \"Passage: ...\\nQuestion: ...?\"");
    }
    const std::string_view q = query;
    const std::string_view passage = q.substr(kPassage.size(), split - kPassage.size());
    const std::string_view question =
        q.substr(split + kQuestion.size())
            .substr(0, q.size() - split - kQuestion.size() -
                           1);  // without the "?" the template adds back
    items.push_back(BoolqItem(passage, question, gold));
    items.back().line = line;
    return Status::Ok();
  }));
  return items;
}

Result<std::vector<TaskItem>> ParseOpenbookqa(std::string_view text, const std::string& file) {
  std::vector<TaskItem> items;
  LIEQ_RETURN_IF_ERROR(ForEachJsonLine(text, file, [&](const Json& doc, int64_t line) -> Status {
    LIEQ_ASSIGN_OR_RETURN(std::string query, StringField(doc, "query"));
    LIEQ_ASSIGN_OR_RETURN(std::vector<std::string> choices, StringArrayField(doc, "choices"));
    LIEQ_ASSIGN_OR_RETURN(int gold, IndexField(doc, "gold", choices.size()));
    items.push_back(OpenbookqaItem(query, choices, gold));
    items.back().line = line;
    return Status::Ok();
  }));
  return items;
}

Result<std::vector<TaskItem>> ParseLambada(std::string_view text, const std::string& file) {
  std::vector<TaskItem> items;
  LIEQ_RETURN_IF_ERROR(ForEachJsonLine(text, file, [&](const Json& doc, int64_t line) -> Status {
    LIEQ_ASSIGN_OR_RETURN(std::string context, StringField(doc, "context"));
    LIEQ_ASSIGN_OR_RETURN(std::string continuation, StringField(doc, "continuation"));
    if (StripWhitespace(continuation).empty()) return DataLoss("\"continuation\" is empty");
    items.push_back(LambadaItem(context, continuation));
    items.back().line = line;
    return Status::Ok();
  }));
  return items;
}

}  // namespace lieq
