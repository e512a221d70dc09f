#include "eval/task_registry.h"

#include "core/mapped_file.h"
#include "eval/task_loaders.h"

namespace lieq {
namespace {

struct TaskEntry {
  std::string_view cli_name;
  TaskSpec spec;
  std::string_view file;         // relative to the data folder
  std::string_view labels_file;  // empty when the answers are in `file`
};

const std::vector<TaskEntry>& Entries() {
  static const std::vector<TaskEntry> kEntries = {
      {"arc_easy", {"arc_easy", TaskKind::kMultipleChoice, true}, "arc/ARC-Easy-Test.jsonl", ""},
      {"arc_challenge",
       {"arc_challenge", TaskKind::kMultipleChoice, true},
       "arc/ARC-Challenge-Test.jsonl",
       ""},
      {"hellaswag",
       {"hellaswag", TaskKind::kMultipleChoice, true},
       "hellaswag/hellaswag_val_full.txt",
       ""},
      {"piqa",
       {"piqa", TaskKind::kMultipleChoice, true},
       "piqa/valid.jsonl",
       "piqa/valid-labels.lst"},
      {"winogrande",
       {"winogrande", TaskKind::kMultipleChoice, false},
       "winogrande/dev.jsonl",
       "winogrande/dev-labels.lst"},
      {"boolq", {"boolq", TaskKind::kMultipleChoice, false}, "boolq/boolq.jsonl", ""},
      {"openbookqa",
       {"openbookqa", TaskKind::kMultipleChoice, true},
       "openbookqa/openbook_qa.jsonl",
       ""},
      {"lambada",
       {"lambada_openai", TaskKind::kLastWord, false},
       "lambada/lambada_openai.jsonl",
       ""},
  };
  return kEntries;
}

Result<const TaskEntry*> FindEntry(std::string_view name) {
  for (const TaskEntry& e : Entries()) {
    if (name == e.cli_name || name == e.spec.name) return &e;
  }
  std::string known;
  for (const std::string& n : TaskNames()) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown task '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace

const std::vector<std::string>& TaskNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const TaskEntry& e : Entries()) names.emplace_back(e.cli_name);
    return names;
  }();
  return kNames;
}

Result<TaskSpec> FindTask(std::string_view name) {
  LIEQ_ASSIGN_OR_RETURN(const TaskEntry* entry, FindEntry(name));
  return entry->spec;
}

Result<TaskData> LoadTask(std::string_view name, const std::string& data_dir) {
  LIEQ_ASSIGN_OR_RETURN(const TaskEntry* entry, FindEntry(name));
  TaskData data;
  data.spec = entry->spec;
  data.source = data_dir + "/" + std::string(entry->file);
  LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(data.source));
  std::string labels_path, labels;
  if (!entry->labels_file.empty()) {
    labels_path = data_dir + "/" + std::string(entry->labels_file);
    LIEQ_ASSIGN_OR_RETURN(labels, ReadTextFile(labels_path));
  }
  Result<std::vector<TaskItem>> items = Status(StatusCode::kUnimplemented, "no reader");
  const std::string_view task = entry->cli_name;
  if (task == "arc_easy" || task == "arc_challenge") items = ParseArc(text, data.source);
  if (task == "hellaswag") items = ParseHellaswag(text, data.source);
  if (task == "piqa") items = ParsePiqa(text, data.source, labels, labels_path);
  if (task == "winogrande") items = ParseWinogrande(text, data.source, labels, labels_path);
  if (task == "boolq") items = ParseBoolq(text, data.source);
  if (task == "openbookqa") items = ParseOpenbookqa(text, data.source);
  if (task == "lambada") items = ParseLambada(text, data.source);
  if (!items.ok()) return items.status();
  if (items->empty()) return DataLoss(data.source + ": no items");
  data.items = std::move(items).value();
  return data;
}

}  // namespace lieq
