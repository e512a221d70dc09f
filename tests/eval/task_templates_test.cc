#include "eval/task_templates.h"

#include <gtest/gtest.h>

namespace lieq {
namespace {

TEST(TaskTemplatesTest, ArcAndPiqaUseQuestionAnswerPrompt) {
  const std::vector<std::string> choices = {"red", "blue"};
  const TaskItem arc = ArcItem("Which is warm?", choices, 1);
  ASSERT_EQ(arc.requests.size(), 2u);
  EXPECT_EQ(arc.requests[0].context, "Question: Which is warm?\nAnswer:");
  EXPECT_EQ(arc.requests[0].continuation, " red");
  EXPECT_EQ(arc.requests[1].continuation, " blue");
  EXPECT_EQ(arc.choice_lengths, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(arc.gold, 1);
  EXPECT_EQ(PiqaItem("boil water", choices, 0).requests[1].context,
            "Question: boil water\nAnswer:");
}

TEST(TaskTemplatesTest, HellaswagPreprocessMatchesHarness) {
  EXPECT_EQ(HellaswagPreprocess("  Home: [header] How to x [title] Check.  "),
            "Home: How to x. Check.");
  EXPECT_EQ(HellaswagPreprocess("a [b [c] d] e"), "a d] e");  // shortest match, as re "\[.*?\]"
  EXPECT_EQ(HellaswagPreprocess("open [ bracket"), "open [ bracket");
  EXPECT_EQ(HellaswagPreprocess("a   b"), "a  b");  // one pass of replace("  ", " ")
}

TEST(TaskTemplatesTest, WinograndeScoresTheRestOfTheSentencePartially) {
  const std::vector<std::string> options = {"Sarah", "Maria"};
  const TaskItem item = WinograndeItem("Sarah beat Maria so _ got the prize .", options, 1);
  ASSERT_EQ(item.requests.size(), 2u);
  EXPECT_EQ(item.requests[0].context, "Sarah beat Maria so Sarah");
  EXPECT_EQ(item.requests[1].context, "Sarah beat Maria so Maria");
  EXPECT_EQ(item.requests[0].continuation, " got the prize .");
  EXPECT_EQ(item.requests[1].continuation, " got the prize .");
}

TEST(TaskTemplatesTest, BoolqOpenbookqaLambada) {
  const TaskItem boolq = BoolqItem("Water is wet.", "is water wet", 1);
  EXPECT_EQ(boolq.requests[0].context, "Water is wet.\nQuestion: is water wet?\nAnswer:");
  EXPECT_EQ(boolq.requests[0].continuation, " no");
  EXPECT_EQ(boolq.requests[1].continuation, " yes");
  const std::vector<std::string> choices = {"star", "moon"};
  EXPECT_EQ(OpenbookqaItem("The sun is a", choices, 0).requests[0].context, "The sun is a");
  const TaskItem lambada = LambadaItem("he patted the", "dog");
  ASSERT_EQ(lambada.requests.size(), 1u);
  EXPECT_EQ(lambada.requests[0].context, "he patted the");
  EXPECT_EQ(lambada.requests[0].continuation, " dog");
}

TEST(TaskTemplatesTest, CodePointCountIsPythonLen) {
  EXPECT_EQ(CodePointCount("abc"), 3);
  EXPECT_EQ(CodePointCount("caf\xc3\xa9"), 4);  // café
  EXPECT_EQ(CodePointCount("\xe2\x82\xac"
                           "1"),
            2);  // €1
}

}  // namespace
}  // namespace lieq
