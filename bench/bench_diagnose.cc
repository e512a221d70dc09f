// Wall time and peak memory of the LieQ proxy (one calibration forward pass + Gram spectra,
// no perplexity passes) on a model folder:
//   bench_diagnose MODEL CALIB.jsonl [SAMPLES=16] [SEQ=512] [THREADS=0] [TWIN_SEEDS=3]
// Prints one JSON line: model, blocks, tokens, seconds (forward / spectra / total), seconds
// per block, peak RSS before and after (MiB).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/calibration.h"
#include "analysis/compactness.h"
#include "analysis/run_diagnostics.h"
#include "core/thread_pool.h"
#include "io/model_loader.h"
#include "kernels/blas_threads.h"
#include "tokenizer/tokenizer.h"
#include "kernels/blas_core.h"

int main(int argc, char** argv) {
  lieq::EnsureOpenBlasCoreType(argv);  // the kernels lieq itself uses
  using namespace lieq;
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: bench_diagnose MODEL CALIB [SAMPLES=16] [SEQ=512] [THREADS=0] "
                 "[TWIN_SEEDS=3]\n");
    return 2;
  }
  const std::string model_path = argv[1], calib_path = argv[2];
  CalibrationOptions calib;
  calib.samples = argc > 3 ? std::atoll(argv[3]) : 16;
  calib.seq = argc > 4 ? std::atoll(argv[4]) : 512;
  const int threads =
      argc > 5 && std::atoi(argv[5]) > 0 ? std::atoi(argv[5]) : DefaultThreadCount();
  CompactnessOptions options;
  options.twin_seeds = argc > 6 ? std::atoi(argv[6]) : 3;

  Result<Model> model = LoadModel(model_path);
  if (!model.ok() || !model->tokenizer) {
    std::fprintf(stderr, "%s: %s\n", model_path.c_str(),
                 model.ok() ? "no tokenizer" : model.status().message().c_str());
    return 1;
  }
  Result<Tokenizer> tokenizer = Tokenizer::Create(*model->tokenizer);
  if (!tokenizer.ok()) return 1;
  Result<std::vector<std::vector<int32_t>>> samples =
      SampleCalibration(calib_path, *tokenizer, calib);
  if (!samples.ok()) {
    std::fprintf(stderr, "%s\n", samples.status().message().c_str());
    return 1;
  }
  const double rss_before = PeakRssMib();
  ThreadPool pool(threads);
  SetBlasThreads(threads);
  options.progress = [](int block, int blocks, double seconds) {
    std::fprintf(stderr, "block %d/%d %.2f s\n", block + 1, blocks, seconds);
  };
  const auto start = std::chrono::steady_clock::now();
  Result<CompactnessResult> r = MeasureCompactness(*model, pool, *samples, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().message().c_str());
    return 1;
  }
  const nlohmann::json j = {
      {"model", model_path},
      {"blocks", model->config.num_layers},
      {"hidden", model->config.hidden_size},
      {"tokens", r->tokens},
      {"threads", threads},
      {"twin_seeds", options.twin_seeds},
      {"forward_seconds", r->forward_seconds},
      {"spectrum_seconds", r->spectrum_seconds},
      {"total_seconds", seconds},
      {"seconds_per_block", seconds / static_cast<double>(model->config.num_layers)},
      {"peak_rss_mib_after_load", rss_before},
      {"peak_rss_mib", PeakRssMib()},
  };
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
