// One block quantized on its own, as QuantizeModel would quantize it in a plan where it is the
// only quantized block: the BlockQuantizerFn that measured sensitivity (analysis/sensitivity.h)
// calls for every block and width. GPTQ's Hessians come from the block's full-precision inputs
// over the calibration windows; RTN is data-free.
#pragma once

#include <string>

#include "analysis/run_diagnostics.h"
#include "analysis/sensitivity.h"
#include "core/status.h"
#include "model/model.h"
#include "quant/model_quantizer.h"

namespace lieq {

// rtn and gptq (awq and awq+gptq fold scales into the norms, which a single-block swap of the
// linear weights cannot express: an error names them).
Result<BlockQuantizerFn> MakeBlockQuantizer(const Model& model, const QuantizeOptions& options,
                                            ThreadPool& pool);

// The back-end and every option its result depends on, e.g. "gptq g128 damp 0.01 block 128",
// recorded in diagnostics.json and hashed into the resume cache key.
std::string BlockQuantizerName(const QuantizeOptions& options);

// The request `lieq diagnose --sensitivity-bits` passes to RunDiagnostics: `method` (rtn |
// gptq) with its defaults at `group_size`, or the largest supported group that fits the model's
// shapes (GPTQ: damp 0.01, 128-column lazy batches, no act order, as `lieq quantize`). `model`
// and `pool` must outlive the request.
Result<SensitivityRequest> MakeSensitivityRequest(const Model& model, const std::string& method,
                                                  int group_size, ThreadPool& pool);

}  // namespace lieq
