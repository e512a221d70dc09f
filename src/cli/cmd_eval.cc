// lieq eval MODEL --tasks arc_easy,...: zero-shot accuracy on the reasoning tasks and LAMBADA,
// by lm-evaluation-harness's templates and scoring (docs/TASKS.md).
#include <chrono>
#include <cstdio>

#include "cli/command.h"
#include "cli/data_paths.h"
#include "cli/preflight.h"
#include "core/atomic_file.h"
#include "eval/task_eval.h"
#include "eval/task_registry.h"
#include "eval/task_report.h"
#include "io/model_loader.h"
#include "tokenizer/tokenizer.h"

namespace lieq::cli {
namespace {

struct EvalCliOptions {
  std::string model;
  std::string tasks;
  std::string data_dir;  // default: DefaultTaskDir() (cli/data_paths.h)
  int64_t limit = 0;
  std::string json_out;
  std::string markdown_out;
  std::string baseline;
  std::string metric = "acc";
  std::string bos = "auto";
  int64_t max_length = 0;
  bool force = false;
  bool allow_nonfinite = false;
  bool allow_long_context = false;
  int threads = 0;
};

Result<std::vector<std::string>> TaskList(const std::string& list) {
  if (list.empty()) return TaskNames();
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    const std::string name = list.substr(pos, comma - pos);
    if (!name.empty()) {
      LIEQ_RETURN_IF_ERROR(FindTask(name).status().WithContext("--tasks"));
      names.push_back(name);
    }
    pos = comma + 1;
  }
  if (names.empty()) return InvalidArgument("--tasks names no task");
  return names;
}

// "\r[task] done/total items, rate items/s" at most twice a second.
std::function<void(int64_t, int64_t)> Progress(const std::string& task) {
  const auto start = std::chrono::steady_clock::now();
  auto last = std::make_shared<double>(-1.0);
  return [task, start, last](int64_t done, int64_t total) {
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (done < total && t - *last < 0.5) return;
    *last = t;
    std::fprintf(stderr, "\r[%s] %lld/%lld items, %.1f items/s", task.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total), done / t);
    if (done == total) std::fprintf(stderr, "\n");
  };
}

Status RunEval(const EvalCliOptions& o) {
  LIEQ_ASSIGN_OR_RETURN(std::vector<std::string> names, TaskList(o.tasks));
  if (o.metric != "acc" && o.metric != "acc_norm") {
    return InvalidArgument("--metric must be acc or acc_norm, got '" + o.metric + "'");
  }
  if (o.bos != "auto" && o.bos != "yes" && o.bos != "no") {
    return InvalidArgument("--bos must be auto, yes or no, got '" + o.bos + "'");
  }
  // Checks before work (cli/preflight.h): outputs (parent, kind), the baseline, every task
  // file parsed, memory, the context.
  const WriteOptions write{o.force};
  if (!o.json_out.empty()) LIEQ_RETURN_IF_ERROR(PreflightOutputFile(o.json_out, o.force));
  if (!o.markdown_out.empty()) LIEQ_RETURN_IF_ERROR(PreflightOutputFile(o.markdown_out, o.force));
  LIEQ_RETURN_IF_ERROR(PreflightModelPath(o.model));
  std::optional<Baseline> baseline;
  if (!o.baseline.empty()) {
    LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.baseline, "--baseline"));
    LIEQ_ASSIGN_OR_RETURN(baseline, ReadBaseline(o.baseline));
  }
  const std::string data_dir = o.data_dir.empty() ? DefaultTaskDir() : o.data_dir;
  std::vector<TaskData> tasks;
  for (const std::string& name : names) {
    Result<TaskData> task = LoadTask(name, data_dir);
    if (!task.ok()) {
      return task.status().WithContext(
          "--data-dir " + data_dir + ": task " + name +
          (o.data_dir.empty() ? " (" + SharedDataHint("--data-dir DIR") + ")" : ""));
    }
    tasks.push_back(std::move(task).value());
  }

  const uint64_t file_bytes = ModelFileBytes(o.model);
  LIEQ_RETURN_IF_ERROR(CheckMemory({file_bytes, 0, "model files"}, "eval"));
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  if (!model.tokenizer) return InvalidArgument(o.model + ": the model has no tokenizer");
  LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
  const bool add_bos = o.bos == "auto" ? tokenizer.add_bos() : o.bos == "yes";
  if (add_bos && tokenizer.bos_id() < 0)
    return InvalidArgument("--bos yes: the tokenizer has no BOS");
  const int64_t context = model.config.max_position_embeddings;
  LIEQ_ASSIGN_OR_RETURN(const int64_t max_length,
                        ResolveContext(o.max_length, context > 0 ? context : 2048, model.config,
                                       "--max-length", o.allow_long_context));
  // The KV cache grows to the longest request; 2048 positions is the least to plan for.
  MemoryNeed need = RuntimeNeed(model.config, std::min<int64_t>(max_length, 2048), 64);
  need.mapped = file_bytes;
  LIEQ_RETURN_IF_ERROR(CheckMemory(need, "eval"));
  const int threads = ResolveThreads({o.threads, false});
  ThreadPool pool(threads);
  Transformer transformer(model, pool);
  LoglikelihoodScorer scorer(transformer, max_length);
  scorer.set_allow_nonfinite(o.allow_nonfinite);
  std::fprintf(stderr, "%s: max length %lld, BOS %s, %d threads\n", o.model.c_str(),
               static_cast<long long>(max_length), add_bos ? "yes" : "no", threads);

  EvalOptions options;
  options.limit = o.limit;
  options.add_bos = add_bos;
  std::vector<TaskResult> results;
  for (const TaskData& task : tasks) {
    options.progress = Progress(task.spec.name);
    LIEQ_ASSIGN_OR_RETURN(TaskResult r, EvaluateTask(scorer, tokenizer, task, options));
    if (r.truncated_requests > 0) {
      std::fprintf(stderr, "[%s] %lld requests left-truncated to %lld tokens\n",
                   task.spec.name.c_str(), static_cast<long long>(r.truncated_requests),
                   static_cast<long long>(max_length));
    }
    results.push_back(std::move(r));
  }

  ReportConfig config;
  config.model = o.model;
  config.data_dir = data_dir;
  config.limit = o.limit;
  config.max_length = max_length;
  config.add_bos = add_bos;
  config.threads = threads;
  config.summary_metric = o.metric;
  const Baseline* base = baseline ? &*baseline : nullptr;
  const std::string markdown = MarkdownSummary(results, config, base);
  std::printf("%s", markdown.c_str());
  for (const TaskResult& r : results) {
    std::fprintf(stderr, "[%s] %.1f s, %.2f items/s, %lld tokens run\n", r.spec.name.c_str(),
                 r.seconds, r.items / r.seconds, static_cast<long long>(r.tokens_run));
  }
  if (!o.json_out.empty()) {
    LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(
        o.json_out, ResultsJson(results, config, base).dump(2) + "\n", write));
  }
  if (!o.markdown_out.empty()) {
    LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(o.markdown_out, markdown, write));
  }
  return Status::Ok();
}

}  // namespace

void RegisterEval(CLI::App& root, Status& result) {
  auto opts = std::make_shared<EvalCliOptions>();
  CLI::App* app = root.add_subcommand(
      "eval", "Zero-shot accuracy on ARC, HellaSwag, PIQA, WinoGrande, BoolQ, OpenBookQA, LAMBADA");
  app->add_option("model", opts->model, "Hugging Face folder or GGUF file")->required();
  std::string all;
  for (const std::string& n : TaskNames()) all += (all.empty() ? "" : ",") + n;
  app->add_option("--tasks", opts->tasks, "Comma-separated tasks (default: " + all + ")");
  app->add_option("--limit", opts->limit, "Score only the first N items of each task")
      ->check(CLI::PositiveNumber);
  app->add_option("--data-dir", opts->data_dir,
                  "Folder of the task files (default: $LIEQ_SHARED_DIR/data/tasks, else " +
                      DefaultTaskDir() + ")");
  app->add_option("--json", opts->json_out, "Write results in lm-evaluation-harness's JSON shape");
  app->add_option("--markdown", opts->markdown_out, "Also write the summary table to this file");
  app->add_option("--baseline", opts->baseline,
                  "Results JSON (lieq eval --json or the harness's) to report % of");
  app->add_option("--metric", opts->metric,
                  "Metric averaged and compared with the baseline: acc or acc_norm (tasks "
                  "without acc_norm use acc)")
      ->capture_default_str();
  app->add_option("--bos", opts->bos, "Prepend BOS: auto (as the tokenizer does), yes, no")
      ->capture_default_str();
  app->add_option("--max-length", opts->max_length,
                  "Positions the model sees; longer inputs are left-truncated (default: the "
                  "model's max_position_embeddings)")
      ->check(CLI::PositiveNumber);
  app->add_flag("--force", opts->force, "Overwrite existing output files");
  app->add_flag("--allow-long-context", opts->allow_long_context,
                "Allow --max-length past the model's max_position_embeddings (with a warning)");
  app->add_flag("--allow-nonfinite", opts->allow_nonfinite, "Go on when logits are NaN or Inf");
  app->add_option("-t,--threads", opts->threads, "Threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  app->callback([opts, &result] { result = RunEval(*opts); });
}

}  // namespace lieq::cli
