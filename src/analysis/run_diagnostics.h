// The whole diagnosis of a loaded model: calibration windows → proxy (one forward pass), and
// when settings.eval_text is set, ΔPPL (L + 1 perplexity passes). What `lieq diagnose` and
// `lieq plan MODEL` run.
#pragma once

#include <cstdio>
#include <functional>

#include "analysis/diagnostics.h"
#include "core/thread_pool.h"
#include "model/model.h"

namespace lieq {

// What measured sensitivity (settings.sensitivity_bits) quantizes with: the back-end the model
// will be quantized with (quant/block_quantizer.h) and its name with every option it depends on
// (recorded, and hashed into the --cache-dir key).
struct SensitivityRequest {
  BlockQuantizerFn quantize;
  std::string method;
};

// Called after each measured proxy block (blocks from 0), for a front end's own progress display.
using ProxyProgressFn = std::function<void(int block, int blocks, double seconds)>;

// Progress lines ("[proxy] block 3 of 16  0.8 s", blocks from 0) go to `log` when not null, and
// proxy blocks to `proxy_progress` when set. `model` is only modified while sensitivity swaps a
// block's weights, and restored.
// Errors: settings.sensitivity_bits without a request.
Result<Diagnostics> RunDiagnostics(Model& model, const DiagnoseSettings& settings, ThreadPool& pool,
                                   std::FILE* log, const SensitivityRequest* sensitivity = nullptr,
                                   const ProxyProgressFn& proxy_progress = {});

// Peak resident set size of this process so far, in MiB.
double PeakRssMib();

}  // namespace lieq
