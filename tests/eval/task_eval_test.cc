#include "eval/task_eval.h"

#include <gtest/gtest.h>

#include <cmath>

#include "eval/task_registry.h"
#include "io/model_loader.h"
#include "io/random_model.h"
#include "test_util.h"

namespace lieq {
namespace {

const std::string kData = LIEQ_EVAL_TEST_DATA;
const std::string kTokenizer = LIEQ_SOURCE_DIR "/models/lieq-ref-qwen3/tokenizer.json";
// acc of a random-weight model stays within this many standard errors of chance.
constexpr double kChanceStderrs = 4.0;

// A tiny Qwen3 with the reference model's tokenizer (8192 tokens).
Model TinyModel(uint64_t seed) {
  RandomModelOptions options;
  options.preset = "tiny-qwen3";
  options.tokenizer = kTokenizer;
  options.seed = seed;
  const std::string folder = testing::TempDir() + "/tiny" + std::to_string(seed);
  EXPECT_TRUE(WriteRandomModel(options, folder).ok());
  Result<Model> model = LoadModel(folder);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(model).value();
}

Result<TaskResult> Evaluate(const Model& model, const TaskData& task, int64_t limit = 0) {
  LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
  ThreadPool pool(2);
  Transformer transformer(model, pool);
  LoglikelihoodScorer scorer(transformer, model.config.max_position_embeddings);
  EvalOptions options;
  options.limit = limit;
  return EvaluateTask(scorer, tokenizer, task, options);
}

// With a zero output head every token has probability 1/V, so a choice's log-likelihood is
// -(its token count)·ln V: acc picks the choice with the fewest tokens, acc_norm the one with
// the fewest tokens per character. The hand-made ARC file's gold is the shortest choice in
// items 1-3 and the longest in item 4.
TEST(TaskEvalTest, UniformModelGivesTheKnownAnswers) {
  Model model = TinyModel(1);
  model.weights.lm_head = model.Adopt(OwnedTensor::Zeros(DType::kF32, model.weights.lm_head.shape));
  const Result<TaskData> task = LoadTask("arc_easy", kData);
  ASSERT_TRUE(task.ok()) << task.status().message();
  const Result<TaskResult> r = Evaluate(model, *task);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->items, 4);
  const Metric* acc = r->Find("acc");
  ASSERT_NE(acc, nullptr);
  EXPECT_DOUBLE_EQ(acc->estimate.value, 0.75);
  EXPECT_NEAR(acc->estimate.std_error, std::sqrt(0.75 * 0.25 / 3), 1e-12);
  const Metric* acc_norm = r->Find("acc_norm");
  ASSERT_NE(acc_norm, nullptr);
  // Fewest tokens per character (reference tokenizer): " meow" 2/4 loses to the long choice
  // (item 1 wrong), "red" 1/3 loses (item 2 wrong), "water" 1/5 wins (item 3 right), the gold
  // long choice 7/32 beats "snow" 1/4 (item 4 right).
  EXPECT_DOUBLE_EQ(acc_norm->estimate.value, 0.5);
  const Result<TaskData> lambada = LoadTask("lambada", kData);
  ASSERT_TRUE(lambada.ok());
  const Result<TaskResult> l = Evaluate(model, *lambada);
  ASSERT_TRUE(l.ok());
  // One token per word here (" dog", " rain"): perplexity = V exactly.
  EXPECT_NEAR(l->Find("perplexity")->estimate.value, model.config.vocab_size,
              1e-6 * model.config.vocab_size);
  EXPECT_EQ(l->Find("acc")->estimate.value, 0.0);  // argmax of equal logits is token 0
}

TEST(TaskEvalTest, EveryHandMadeTaskRuns) {
  const Model model = TinyModel(2);
  for (const std::string& name : TaskNames()) {
    const Result<TaskData> task = LoadTask(name, kData);
    ASSERT_TRUE(task.ok()) << task.status().message();
    const Result<TaskResult> r = Evaluate(model, *task);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().message();
    EXPECT_EQ(r->items, static_cast<int64_t>(task->items.size()));
    EXPECT_EQ(r->Find("acc_norm") != nullptr, task->spec.acc_norm) << name;
  }
}

// Random weights know nothing: two-choice tasks land near 50 % on a few hundred real items.
TEST(TaskEvalTest, RandomModelScoresNearChance) {
  const std::string data = testing::SharedDir() + "/data/tasks";
  const Model model = TinyModel(3);
  for (const std::string name : {"winogrande", "piqa"}) {
    const Result<TaskData> task = LoadTask(name, data);
    ASSERT_TRUE(task.ok()) << task.status().message();
    const Result<TaskResult> r = Evaluate(model, *task, 300);
    ASSERT_TRUE(r.ok()) << r.status().message();
    const Estimate acc = r->Find("acc")->estimate;
    EXPECT_EQ(r->items, 300);
    EXPECT_NEAR(acc.value, 0.5, kChanceStderrs * acc.std_error) << name;
  }
}

}  // namespace
}  // namespace lieq
