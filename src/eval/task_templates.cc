#include "eval/task_templates.h"

#include <cassert>
#include <initializer_list>

namespace lieq {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Python's str.replace(from, to): every non-overlapping occurrence, left to right, one pass.
std::string ReplaceAll(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string_view::npos;
       pos = hit + from.size()) {
    out.append(text.substr(pos, hit - pos));
    out.append(to);
  }
  out.append(text.substr(pos));
  return out;
}

// re.sub(r"\[.*?\]", "", text) for text without newlines: each "[" is removed together with
// everything up to the nearest following "]"; a "[" with no "]" after it stays.
std::string RemoveBracketed(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find('[', pos);
    const size_t close = open == std::string_view::npos ? open : text.find(']', open + 1);
    if (close == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    pos = close + 1;
  }
  out.append(text.substr(pos));
  return out;
}

// a + b + ...: appends in order (GCC 12 misreads prepending operator+ overloads, -Wrestrict).
std::string Concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const std::string_view part : parts) out.append(part);
  return out;
}

}  // namespace

int64_t CodePointCount(std::string_view text) {
  int64_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string_view StripWhitespace(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

TaskItem MultipleChoiceItem(std::string context, std::span<const std::string> choices, int gold) {
  assert(gold >= 0 && static_cast<size_t>(gold) < choices.size());
  TaskItem item;
  item.gold = gold;
  for (const std::string& choice : choices) {
    item.requests.push_back({context, Concat({kTargetDelimiter, choice})});
    item.choice_lengths.push_back(CodePointCount(choice));
  }
  return item;
}

TaskItem ArcItem(std::string_view question, std::span<const std::string> choices, int gold) {
  return MultipleChoiceItem(Concat({"Question: ", question, "\nAnswer:"}), choices, gold);
}

TaskItem PiqaItem(std::string_view goal, std::span<const std::string> solutions, int gold) {
  return MultipleChoiceItem(Concat({"Question: ", goal, "\nAnswer:"}), solutions, gold);
}

std::string HellaswagPreprocess(std::string_view text) {
  std::string s = ReplaceAll(StripWhitespace(text), " [title]", ". ");
  s = RemoveBracketed(s);
  return ReplaceAll(s, "  ", " ");
}

TaskItem HellaswagItem(std::string_view context, std::span<const std::string> endings, int gold) {
  std::vector<std::string> choices;
  for (const std::string& ending : endings) choices.push_back(HellaswagPreprocess(ending));
  return MultipleChoiceItem(HellaswagPreprocess(context), choices, gold);
}

TaskItem WinograndeItem(std::string_view sentence, std::span<const std::string> options, int gold) {
  const size_t blank = sentence.find('_');
  assert(blank != std::string_view::npos && "the loader checks for the blank");
  assert(gold >= 0 && static_cast<size_t>(gold) < options.size());
  const std::string target =
      Concat({kTargetDelimiter, StripWhitespace(sentence.substr(blank + 1))});
  TaskItem item;
  item.gold = gold;
  for (const std::string& option : options) {
    const std::string context = Concat({sentence.substr(0, blank), option});
    item.requests.push_back({context, target});
    item.choice_lengths.push_back(CodePointCount(context));
  }
  return item;
}

TaskItem BoolqItem(std::string_view passage, std::string_view question, int gold) {
  static constexpr std::string_view kNoYes[] = {"no", "yes"};
  const std::string choices[] = {std::string(kNoYes[0]), std::string(kNoYes[1])};
  return MultipleChoiceItem(Concat({passage, "\nQuestion: ", question, "?\nAnswer:"}), choices,
                            gold);
}

TaskItem OpenbookqaItem(std::string_view question_stem, std::span<const std::string> choices,
                        int gold) {
  return MultipleChoiceItem(std::string(question_stem), choices, gold);
}

TaskItem LambadaItem(std::string_view context, std::string_view last_word) {
  TaskItem item;
  item.requests.push_back({std::string(context), Concat({kTargetDelimiter, last_word})});
  item.choice_lengths.push_back(CodePointCount(last_word));
  return item;
}

}  // namespace lieq
