#include "eval/task_loaders.h"

#include <gtest/gtest.h>

#include "eval/task_registry.h"

namespace lieq {
namespace {

const std::string kData = LIEQ_EVAL_TEST_DATA;  // tests/eval/data: one tiny file per task

// The error names the file and the line, and says what is wrong.
void ExpectLineError(const Status& status, const std::string& where, const std::string& what) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find(where), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(what), std::string::npos) << status.message();
}

TEST(TaskLoadersTest, EveryTaskLoadsFromTheHandMadeFolder) {
  for (const std::string& name : TaskNames()) {
    const Result<TaskData> task = LoadTask(name, kData);
    ASSERT_TRUE(task.ok()) << task.status().message();
    EXPECT_GE(task->items.size(), 2u) << name;
    for (const TaskItem& item : task->items) {
      EXPECT_LT(item.gold, static_cast<int>(item.requests.size())) << name;
      EXPECT_EQ(item.choice_lengths.size(), item.requests.size()) << name;
    }
  }
  EXPECT_EQ(LoadTask("lambada", kData)->spec.name, "lambada_openai");
  EXPECT_FALSE(LoadTask("mmlu", kData).ok());
}

TEST(TaskLoadersTest, BothArcFormsGiveTheSameTemplate) {
  const Result<TaskData> easy = LoadTask("arc_easy", kData);
  ASSERT_TRUE(easy.ok());
  EXPECT_EQ(easy->items[1].requests.size(), 3u);
  EXPECT_EQ(easy->items[1].gold, 0);  // numeric labels "1".."3"
  EXPECT_EQ(easy->items[3].gold, 1);
  EXPECT_EQ(easy->items[3].line, 4);
  const Result<TaskData> challenge = LoadTask("arc_challenge", kData);
  ASSERT_TRUE(challenge.ok());
  EXPECT_EQ(challenge->items[0].requests[0].context,
            "Question: Which gas do plants take in?\nAnswer:");
  EXPECT_EQ(challenge->items[1].requests.size(), 5u);
  EXPECT_EQ(challenge->items[1].gold, 1);
}

TEST(TaskLoadersTest, FilesAreReadAsDocumented) {
  const Result<TaskData> boolq = LoadTask("boolq", kData);
  ASSERT_TRUE(boolq.ok());
  EXPECT_EQ(boolq->items[1].requests[0].context,
            "Penguins are birds that cannot fly.\nQuestion: can penguins fly?\nAnswer:");
  const Result<TaskData> hellaswag = LoadTask("hellaswag", kData);
  ASSERT_TRUE(hellaswag.ok());
  EXPECT_EQ(hellaswag->items[0].gold, 2);
  EXPECT_EQ(hellaswag->items[0].requests[0].continuation, " sings a song. loudly.");
  EXPECT_EQ(hellaswag->items[1].requests[0].context,
            "Home and Garden: How to water plants. Check the soil.");
  // strip() runs before "[step]" goes, so the space after it stays, as in the harness.
  EXPECT_EQ(hellaswag->items[1].requests[0].continuation, "  Pour water slowly at the base.");
  EXPECT_EQ(hellaswag->items[1].line, 7);
  const Result<TaskData> winogrande = LoadTask("winogrande", kData);
  ASSERT_TRUE(winogrande.ok());
  EXPECT_EQ(winogrande->items[1].gold, 1);
  EXPECT_EQ(LoadTask("piqa", kData)->items[1].gold, 1);
}

TEST(TaskLoadersTest, MalformedLinesNameFileAndLine) {
  ExpectLineError(
      ParseArc("{\"question\": \"q\", \"options\": [], \"answer\": \"A\"}\n", "a.jsonl").status(),
      "a.jsonl:1:", "choices");
  ExpectLineError(
      ParseArc("\n{\"question\": \"q\", \"options\": [{\"label\": \"A\", \"text\": \"x\"}], "
               "\"answer\": \"B\"}\n",
               "a.jsonl")
          .status(),
      "a.jsonl:2:", "'B' is none of the choice labels");
  ExpectLineError(
      ParseOpenbookqa("{\"query\": \"q\", \"choices\": [\"a\"], \"gold\": 0}\n{\"query\": 1}",
                      "o.jsonl")
          .status(),
      "o.jsonl:2:", "\"query\" is not a string");
  ExpectLineError(
      ParseOpenbookqa("{\"query\": \"q\", \"choices\": [\"a\", \"b\"], \"gold\": 2}", "o.jsonl")
          .status(),
      "o.jsonl:1:", "\"gold\" = 2 is not a choice");
  ExpectLineError(
      ParseLambada("{\"context\": \"a\", \"continuation\": \"b\"}\n{not json\n", "l.jsonl")
          .status(),
      "l.jsonl:2:", "not valid JSON");
  ExpectLineError(
      ParseBoolq("{\"query\": \"Question: x?\", \"choices\": [\"no\", \"yes\"], \"gold\": 1}",
                 "b.jsonl")
          .status(),
      "b.jsonl:1:", "Passage:");
  ExpectLineError(ParseHellaswag("ctx\n7\na\nb\nc\nd\n", "h.txt").status(),
                  "h.txt:2:", "expected a label 0..3");
  ExpectLineError(ParseHellaswag("ctx\n1\na\nb\nc\nd\nctx2\n0\n", "h.txt").status(),
                  "h.txt:7:", "2 of its 6 lines");
  ExpectLineError(
      ParseWinogrande("{\"sentence\": \"no blank\", \"option1\": \"a\", \"option2\": \"b\"}",
                      "w.jsonl", "1\n", "w.lst")
          .status(),
      "w.jsonl:1:", "no \"_\"");
  ExpectLineError(ParseWinogrande("{\"sentence\": \"_ x\", \"option1\": \"a\", \"option2\": \"b\", "
                                  "\"answer\": \"2\"}",
                                  "w.jsonl", "1\n", "w.lst")
                      .status(),
                  "w.jsonl:1:", "w.lst says 1");
  ExpectLineError(
      ParsePiqa("{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}", "p.jsonl", "0\n2\n", "p.lst")
          .status(),
      "p.lst:2:", "expected a label 0..1");
  ExpectLineError(
      ParsePiqa("{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}", "p.jsonl", "0\n1\n", "p.lst")
          .status(),
      "p.lst", "2 labels for the 1 items");
}

TEST(TaskLoadersTest, MissingFileIsNotFound) {
  const Result<TaskData> task = LoadTask("piqa", kData + "/nowhere");
  ASSERT_FALSE(task.ok());
  EXPECT_EQ(task.status().code(), StatusCode::kNotFound);
  EXPECT_NE(task.status().message().find("valid.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace lieq
