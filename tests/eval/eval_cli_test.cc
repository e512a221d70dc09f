// `lieq eval` end to end on the hand-made task files and a tiny random model.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "test_util.h"

namespace lieq {
namespace {

const std::string kData = LIEQ_EVAL_TEST_DATA;
const std::string kTokenizer = LIEQ_SOURCE_DIR "/models/lieq-ref-qwen3/tokenizer.json";

class EvalCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new std::string(testing::TempDir() + "/tiny");
    std::string out;
    ASSERT_EQ(
        testing::RunCommand(testing::LieqBinary() + " make-random --like tiny-qwen3 --tokenizer " +
                                kTokenizer + " -o " + *model_,
                            &out),
        0)
        << out;
  }
  static std::string* model_;
};
std::string* EvalCliTest::model_ = nullptr;

TEST_F(EvalCliTest, WritesHarnessShapedJsonAndBaselinePercent) {
  const std::string json_path = testing::TempDir() + "/r.json";
  std::string out;
  ASSERT_EQ(testing::RunCommand(testing::LieqBinary() + " eval " + *model_ + " --data-dir " +
                                    kData + " --json " + json_path + " -t 1",
                                &out),
            0)
      << out;
  EXPECT_NE(out.find("| arc_easy | 4 |"), std::string::npos) << out;
  const nlohmann::json j = nlohmann::json::parse(*ReadTextFile(json_path));
  for (const char* task : {"arc_easy", "arc_challenge", "hellaswag", "piqa", "winogrande", "boolq",
                           "openbookqa", "lambada_openai"}) {
    ASSERT_TRUE(j["results"].contains(task)) << task;
    EXPECT_TRUE(j["results"][task].contains("acc,none")) << task;
    EXPECT_TRUE(j["results"][task].contains("acc_stderr,none")) << task;
  }
  EXPECT_TRUE(j["results"]["arc_easy"].contains("acc_norm,none"));
  EXPECT_FALSE(j["results"]["winogrande"].contains("acc_norm,none"));
  EXPECT_TRUE(j["results"]["lambada_openai"].contains("perplexity,none"));
  EXPECT_EQ(j["n-samples"]["piqa"]["effective"], 2);

  // Each task as a percentage of a hand-written baseline, and the average's.
  const std::string baseline = testing::TempDir() + "/baseline.json";
  {
    std::FILE* f = std::fopen(baseline.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(R"({"results": {"piqa": {"acc,none": 0.5, "acc_stderr,none": 0.1},
                               "winogrande": {"acc,none": 0.25}}})",
               f);
    std::fclose(f);
  }
  const std::string out_json = testing::TempDir() + "/r2.json";
  ASSERT_EQ(testing::RunCommand(testing::LieqBinary() + " eval " + *model_ + " --data-dir " +
                                    kData + " --tasks piqa,winogrande --baseline " + baseline +
                                    " --json " + out_json + " -t 1",
                                &out),
            0)
      << out;
  EXPECT_NE(out.find("% of baseline (acc)"), std::string::npos) << out;
  const nlohmann::json r = nlohmann::json::parse(*ReadTextFile(out_json));
  const double piqa = r["results"]["piqa"]["acc,none"];
  const double wino = r["results"]["winogrande"]["acc,none"];
  const nlohmann::json& summary = r["lieq"]["summary"];
  EXPECT_NEAR(summary["percent_of_baseline"]["piqa"].get<double>(), 100 * piqa / 0.5, 1e-9);
  EXPECT_NEAR(summary["percent_of_baseline"]["winogrande"].get<double>(), 100 * wino / 0.25, 1e-9);
  EXPECT_NEAR(summary["average_percent_of_baseline"].get<double>(),
              100 * (piqa + wino) / (0.5 + 0.25), 1e-9);
  EXPECT_NEAR(summary["average"].get<double>(), (piqa + wino) / 2, 1e-12);
}

TEST_F(EvalCliTest, MalformedTaskLineIsReportedWithFileAndLine) {
  std::string out;
  EXPECT_NE(testing::RunCommand(testing::LieqBinary() + " eval " + *model_ + " --data-dir " +
                                    kData + "-bad --tasks openbookqa",
                                &out),
            0);
  EXPECT_NE(out.find("openbook_qa.jsonl:2: \"gold\" = 5 is not a choice"), std::string::npos)
      << out;
  EXPECT_NE(testing::RunCommand(testing::LieqBinary() + " eval " + *model_ + " --tasks mmlu", &out),
            0);
  EXPECT_NE(out.find("unknown task 'mmlu'"), std::string::npos) << out;
}

}  // namespace
}  // namespace lieq
