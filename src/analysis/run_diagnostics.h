// The whole diagnosis of a loaded model: calibration windows → proxy (one forward pass), and
// when settings.eval_text is set, ΔPPL (L + 1 perplexity passes). What `lieq diagnose` and
// `lieq plan MODEL` run.
#pragma once

#include <cstdio>

#include "analysis/diagnostics.h"
#include "core/thread_pool.h"
#include "model/model.h"

namespace lieq {

// Progress lines ("[proxy] block 3/16 0.8 s") go to `log` when not null.
Result<Diagnostics> RunDiagnostics(const Model& model, const DiagnoseSettings& settings,
                                   ThreadPool& pool, std::FILE* log);

// Peak resident set size of this process so far, in MiB.
double PeakRssMib();

}  // namespace lieq
