// lieq: LieQ layer-wise low-bit quantization toolkit.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/command.h"
#include "kernels/blas_threads.h"
#include "core/thread_pool.h"

namespace {

// Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs and falls back to slow
// kernels; it reads OPENBLAS_CORETYPE only when the library loads, so set it and restart.
void SelectBlasKernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) return;
  ::setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  ::execv("/proc/self/exe", argv);  // on failure, carry on with the default kernels
#endif
}

}  // namespace

namespace lieq::cli {

void AddCommonOptions(CLI::App& app, CommonOptions& options) {
  app.add_option("-t,--threads", options.threads, "Threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--json", options.json, "Print machine-readable JSON on stdout");
}

int ResolveThreads(const CommonOptions& options) {
  const int n = options.threads > 0 ? options.threads : DefaultThreadCount();
  SetBlasThreads(n);
  return n;
}

}  // namespace lieq::cli

int main(int argc, char** argv) {
  SelectBlasKernels(argv);
  CLI::App app{"lieq: layer-wise low-bit quantization of small language models (LieQ)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lieq 0.1.0");
  lieq::Status result;
  for (lieq::cli::Register reg :
       {lieq::cli::RegisterInspect, lieq::cli::RegisterTokenize, lieq::cli::RegisterGenerate,
        lieq::cli::RegisterPpl, lieq::cli::RegisterMakeRandom, lieq::cli::RegisterConvert,
        lieq::cli::RegisterLogits, lieq::cli::RegisterDiagnose, lieq::cli::RegisterPlan,
        lieq::cli::RegisterQuantize, lieq::cli::RegisterEval}) {
    reg(app, result);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!result.ok()) {
    std::fprintf(stderr, "lieq: error: %s\n", result.message().c_str());
    return result.code() == lieq::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
