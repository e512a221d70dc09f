// Each subcommand lives in its own file and registers itself on the root app. A command's
// outcome is a Status stored in `result`; main turns it into the exit code and message.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/status.h"

namespace lieq::cli {

using Register = void (*)(CLI::App& root, Status& result);

void RegisterInspect(CLI::App& root, Status& result);
void RegisterTokenize(CLI::App& root, Status& result);
void RegisterGenerate(CLI::App& root, Status& result);
void RegisterPpl(CLI::App& root, Status& result);
void RegisterMakeRandom(CLI::App& root, Status& result);
void RegisterConvert(CLI::App& root, Status& result);
void RegisterLogits(CLI::App& root, Status& result);
void RegisterDiagnose(CLI::App& root, Status& result);
void RegisterPlan(CLI::App& root, Status& result);
void RegisterQuantize(CLI::App& root, Status& result);
void RegisterEval(CLI::App& root, Status& result);
void RegisterReport(CLI::App& root, Status& result);

// Options most commands share.
struct CommonOptions {
  int threads = 0;    // 0 = all hardware threads
  bool json = false;  // machine-readable output on stdout
};
void AddCommonOptions(CLI::App& app, CommonOptions& options);

// Sizes the ThreadPool and the BLAS pool; returns the thread count used (capped at 4 x the
// cores, cli/preflight.h).
int ResolveThreads(const CommonOptions& options);

// Parses argv on `app` and runs the chosen subcommand; returns the exit code (2 for bad usage,
// an unknown command included; 1 for other errors, out of memory included).
int RunApp(CLI::App& app, const Status& result, int argc, char** argv);

}  // namespace lieq::cli
