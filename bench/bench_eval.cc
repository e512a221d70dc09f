// Zero-shot scoring throughput (items/s) of `lieq eval`, with the context shared by an item's
// choices (what lieq eval does) and, for comparison, with every request run on its own.
//
//   bench_eval MODEL [task [items [data_dir [threads]]]]
//
// Defaults: hellaswag, 100 items, ../shared/data/tasks, all cores.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "eval/loglikelihood.h"
#include "eval/task_registry.h"
#include "io/model_loader.h"
#include "kernels/blas_core.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  lieq::EnsureOpenBlasCoreType(argv);  // the kernels lieq itself uses
  using namespace lieq;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_eval MODEL [task [items [data_dir [threads]]]]\n");
    return 2;
  }
  const std::string task_name = argc > 2 ? argv[2] : "hellaswag";
  const int64_t items = argc > 3 ? std::atoll(argv[3]) : 100;
  const std::string data_dir = argc > 4 ? argv[4] : "../shared/data/tasks";
  const int threads = argc > 5
                          ? std::atoi(argv[5])
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Result<Model> model = LoadModel(argv[1]);
  Result<TaskData> task = LoadTask(task_name, data_dir);
  if (!model.ok() || !task.ok() || !model->tokenizer) {
    std::fprintf(stderr, "%s\n",
                 !model.ok()  ? model.status().message().c_str()
                 : !task.ok() ? task.status().message().c_str()
                              : "the model has no tokenizer");
    return 1;
  }
  Result<Tokenizer> tokenizer = Tokenizer::Create(*model->tokenizer);
  if (!tokenizer.ok()) return 1;
  ThreadPool pool(threads);
  Transformer transformer(*model, pool);
  const int64_t n = std::min<int64_t>(items, static_cast<int64_t>(task->items.size()));

  // Tokenize once, outside the timings.
  std::vector<std::vector<TokenizedRequest>> requests(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    for (const Request& r : task->items[static_cast<size_t>(i)].requests) {
      requests[static_cast<size_t>(i)].push_back(*EncodePair(*tokenizer, r, tokenizer->add_bos()));
    }
  }
  std::printf("%s, %s, %lld items, %d threads\n", argv[1], task->spec.name.c_str(),
              static_cast<long long>(n), threads);
  std::printf("| mode | items/s | tokens run | tokens/s |\n|---|---:|---:|---:|\n");
  for (const bool shared : {true, false}) {
    LoglikelihoodScorer scorer(transformer, model->config.max_position_embeddings);
    const auto start = std::chrono::steady_clock::now();
    for (const std::vector<TokenizedRequest>& item : requests) {
      if (shared) {
        if (!scorer.Score(item).ok()) return 1;
      } else {
        for (const TokenizedRequest& r : item) {
          if (!scorer.Score(std::span(&r, 1)).ok()) return 1;
        }
      }
    }
    const double s = Seconds(start);
    std::printf("| %s | %.2f | %lld | %.0f |\n", shared ? "shared context" : "each request alone",
                n / s, static_cast<long long>(scorer.tokens_run()), scorer.tokens_run() / s);
  }
  return 0;
}
