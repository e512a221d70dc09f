// lieq: LieQ layer-wise low-bit quantization toolkit.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/command.h"
#include "cli/preflight.h"
#include <nlohmann/json.hpp>

#include "kernels/blas_core.h"
#include "kernels/blas_threads.h"
#include "kernels/simd_targets.h"
#include "core/thread_pool.h"

namespace {

constexpr const char* kVersion = "lieq 0.1.0";

// `lieq --version [--json]`: the version, the CPU's features and the SIMD target each kernel
// family dispatches to on it (the build is portable; the choice is made at run time).
bool PrintVersion(int argc, char** argv) {
  bool version = false, json = false;
  for (int i = 1; i < argc; ++i) {
    version |= std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-V") == 0;
    json |= std::strcmp(argv[i], "--json") == 0;
  }
  if (!version) return false;
  const lieq::SimdReport report = lieq::MakeSimdReport();
  if (json) {
    nlohmann::json j = lieq::ToJson(report);
    j["version"] = kVersion;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s\n%s", kVersion, lieq::ToText(report).c_str());
  }
  return true;
}

}  // namespace

namespace lieq::cli {

void AddCommonOptions(CLI::App& app, CommonOptions& options) {
  app.add_option("-t,--threads", options.threads, "Threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--json", options.json, "Print machine-readable JSON on stdout");
}

int ResolveThreads(const CommonOptions& options) {
  const int n = CappedThreadCount(options.threads);
  SetBlasThreads(n);
  return n;
}

}  // namespace lieq::cli

int main(int argc, char** argv) {
  lieq::EnsureOpenBlasCoreType(argv);
  if (argc >= 2 && PrintVersion(argc, argv)) return 0;
  CLI::App app{"lieq: layer-wise low-bit quantization of small language models (LieQ)"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", kVersion);  // handled by PrintVersion; listed in --help
  lieq::Status result;
  for (lieq::cli::Register reg :
       {lieq::cli::RegisterInspect, lieq::cli::RegisterTokenize, lieq::cli::RegisterGenerate,
        lieq::cli::RegisterPpl, lieq::cli::RegisterMakeRandom, lieq::cli::RegisterConvert,
        lieq::cli::RegisterLogits, lieq::cli::RegisterDiagnose, lieq::cli::RegisterPlan,
        lieq::cli::RegisterQuantize, lieq::cli::RegisterEval, lieq::cli::RegisterReport}) {
    reg(app, result);
  }
  return lieq::cli::RunApp(app, result, argc, argv);
}
