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

// A front end's own progress display: called after each measured proxy block and after each
// measured (block, width) of the sensitivity (blocks from 0). Either may be empty.
struct DiagnoseProgress {
  std::function<void(int block, int blocks, double seconds)> proxy;
  std::function<void(int block, int bits, double kl, double seconds)> kl;
};

// Progress lines ("[proxy] block 3 of 16  0.8 s", blocks from 0) go to `log` when not null, and
// to `progress`. `model` is only modified while sensitivity swaps a block's weights, and
// restored.
// Errors: settings.sensitivity_bits without a request.
Result<Diagnostics> RunDiagnostics(Model& model, const DiagnoseSettings& settings, ThreadPool& pool,
                                   std::FILE* log, const SensitivityRequest* sensitivity = nullptr,
                                   const DiagnoseProgress& progress = {});

// Peak resident set size of this process so far, in MiB.
double PeakRssMib();

}  // namespace lieq
