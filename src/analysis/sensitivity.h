// Measured quantization sensitivity: for each block l and candidate width b, the mean KL
// divergence of the next-token distribution between the full-precision model and the model with
// only block l quantized at b bits,
//   KL_l(b) = 1/N Σ_t Σ_v p_t(v) · (log p_t(v) − log q_t(v)),
// over every position t of the calibration windows (p: FP model, q: block l quantized). The
// quantizer is the back-end the model will be quantized with (RTN, GPTQ, …), supplied by the
// caller (quant/block_quantizer.h) since lieq_analysis does not depend on lieq_quant.
//
// Cost: L × |widths| passes, each through blocks l..L−1 only (the FP residual stream entering
// block l is kept and advanced block by block, as the proxy does), plus one quantization of each
// block at each width. Memory: the FP stream [S, seq, d], the FP log-probabilities [S·seq, V] in
// double when they fit in 256 MiB (else the FP final hidden states, from which they are
// recomputed per pass), and one block's quantized weights.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"
#include "runtime/transformer.h"

namespace lieq {

// Quantizes block `block`'s seven linear layers at `bits` and returns their dequantized weights,
// [7] in kAllProjections order, each [out·in] F32. `run_block(hooks)` runs every calibration
// window through block `block` with full-precision inputs, calling `hooks.linear_input` (what
// GPTQ needs for its Hessians); a data-free quantizer ignores it.
using BlockQuantizerFn = std::function<Result<std::vector<std::vector<float>>>(
    int block, int bits, const std::function<void(const ForwardHooks&)>& run_block)>;

struct SensitivityOptions {
  std::vector<int> widths = {2, 3, 4, 8};
  // Called after each (block, width) measured: block, width, KL, seconds.
  std::function<void(int, int, double, double)> progress;
  // Resume hooks (analysis/diagnose_cache.h): a (block, width) that `load` returns is not
  // measured again; `store` gets each one measured.
  std::function<std::optional<double>(int block, int bits)> load;
  std::function<void(int block, int bits, double kl)> store;
};

struct SensitivityResult {
  std::vector<int> widths;              // [W]
  std::string method;                   // the back-end, as the caller names it
  std::vector<std::vector<double>> kl;  // [L][W] mean KL (nats per token)
  int64_t tokens = 0;                   // positions scored per pass
  double seconds = 0;
};

// `samples`: calibration windows of equal length ≤ max_position_embeddings. The model's block
// weights are swapped for each measurement and restored before returning (also on error).
// Errors: packed (already quantized) weights, empty or ragged samples, unsupported widths,
// a quantizer error.
Result<SensitivityResult> MeasureSensitivity(Model& model, ThreadPool& pool,
                                             std::span<const std::vector<int32_t>> samples,
                                             const BlockQuantizerFn& quantize,
                                             const std::string& method,
                                             const SensitivityOptions& options);

// Mean over rows of KL(p‖q) with p = softmax(ref[r]), q = softmax(test[r]), logits [rows, V].
// In double; exposed for tests.
double MeanKlFromLogits(const float* ref, const float* test, int64_t rows, int64_t vocab);

}  // namespace lieq
