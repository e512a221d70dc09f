// Wall time and peak memory of GPTQ (and the other back-ends) on a model, block by block.
//
//   bench_gptq MODEL [method [samples [seq [threads [bits]]]]]
//
// Defaults: gptq, 32 windows of 512 tokens, 2 threads, 2 bits. Calibration tokens are seeded
// random ids (timing does not depend on the text), so the model needs no tokenizer and the
// random Qwen3-0.6B-shaped model (`lieq make-random --like qwen3-0.6b --layers N`) works.
// Prints per-block calibration (forward passes + Hessians) and quantization (the solver) times,
// totals, and the process's peak resident memory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/rng.h"
#include "core/thread_pool.h"
#include "io/model_loader.h"
#include "kernels/blas_core.h"
#include "kernels/blas_threads.h"
#include "quant/model_quantizer.h"

using namespace lieq;

int main(int argc, char** argv) {
  lieq::EnsureOpenBlasCoreType(argv);  // the kernels lieq itself uses
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_gptq MODEL [method [samples [seq [threads [bits]]]]]\n");
    return 2;
  }
  const std::string path = argv[1];
  const std::string method_name = argc > 2 ? argv[2] : "gptq";
  const int64_t samples = argc > 3 ? std::atoll(argv[3]) : 32;
  const int64_t seq = argc > 4 ? std::atoll(argv[4]) : 512;
  const int threads = argc > 5 ? std::atoi(argv[5]) : 2;
  const int bits = argc > 6 ? std::atoi(argv[6]) : 2;
  SetBlasThreads(threads);

  Result<QuantMethod> method = ParseQuantMethod(method_name);
  Result<Model> model = LoadModel(path);
  if (!method.ok() || !model.ok()) {
    std::fprintf(stderr, "%s\n",
                 (!method.ok() ? method.status() : model.status()).message().c_str());
    return 1;
  }
  QuantizeOptions options;
  options.method = *method;
  options.bits.assign(static_cast<size_t>(model->config.num_layers), bits);
  Rng rng(0);
  options.calibration.resize(static_cast<size_t>(samples));
  for (auto& window : options.calibration) {
    for (int64_t t = 0; t < seq; ++t) {
      window.push_back(
          static_cast<int32_t>(rng.NextU64() % static_cast<uint64_t>(model->config.vocab_size)));
    }
  }
  double calib = 0, quant = 0;
  options.progress = [&](const BlockReport& r) {
    std::printf("block %2d: calib %6.2f s  quantize %6.2f s\n", r.block, r.calib_seconds,
                r.quant_seconds);
    calib += r.calib_seconds;
    quant += r.quant_seconds;
  };
  ThreadPool pool(threads);
  const auto start = std::chrono::steady_clock::now();
  const Status quantized = QuantizeModel(*model, options, pool);
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quantized.ok()) {
    std::fprintf(stderr, "%s\n", quantized.message().c_str());
    return 1;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "%s: %s %d-bit, %lld blocks (d %lld, ff %lld), %lld x %lld calibration tokens, %d threads\n",
      path.c_str(), method_name.c_str(), bits, static_cast<long long>(model->config.num_layers),
      static_cast<long long>(model->config.hidden_size),
      static_cast<long long>(model->config.intermediate_size), static_cast<long long>(samples),
      static_cast<long long>(seq), threads);
  std::printf(
      "total %.2f s = calibration %.2f s + quantization %.2f s (%.3f s per block); peak RSS %.0f "
      "MiB\n",
      total, calib, quant, quant / static_cast<double>(model->config.num_layers),
      static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
