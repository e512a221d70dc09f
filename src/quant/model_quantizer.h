// Quantizes a model block by block at one bit-width per block (LieQ), with RTN, GPTQ, AWQ or
// AWQ followed by GPTQ. As in the reference GPTQ, block l is calibrated on the outputs of the
// already-quantized blocks 0..l−1: the calibration activations are pushed through each block
// after it has been quantized.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "io/quantized_model.h"
#include "kernels/matmul.h"
#include "model/model.h"
#include "quant/awq.h"
#include "quant/gptq.h"
#include "quant/rtn.h"

namespace lieq {

enum class QuantMethod { kRtn, kGptq, kAwq, kAwqGptq };
Result<QuantMethod> ParseQuantMethod(const std::string& name);  // rtn | gptq | awq | awq+gptq
const char* QuantMethodName(QuantMethod method);
inline bool NeedsCalibration(QuantMethod m) { return m != QuantMethod::kRtn; }

struct BlockReport {
  int block = 0;
  int bits = 0;
  double calib_seconds = 0;                        // forward passes collecting the layers' inputs
  double quant_seconds = 0;                        // scale search, GPTQ, rounding
  double awq_alpha_attn = -1, awq_alpha_mlp = -1;  // chosen α (AWQ), -1 when not searched
  bool cached = false;                             // loaded from the resume cache
};

struct QuantizeOptions {
  QuantMethod method = QuantMethod::kRtn;
  std::vector<int> bits;  // [L]; 0 leaves a block unquantized
  int group_size = 128;
  ClipOptions rtn_clip;  // RTN's clipping (data-free); AWQ always searches output-error clipping
  GptqOptions gptq;
  AwqOptions awq;
  std::vector<std::vector<int32_t>> calibration;  // windows of tokens (GPTQ/AWQ)
  // Kernels of the calibration forward passes: exact float activations (default), or
  // fast_prefill's BF16 / int8 GEMMs where the CPU has them (kernels/matmul.h).
  MatMulOptions calibration_kernels;
  std::function<void(const BlockReport&)> progress;
  // Resume cache (quant/block_cache.h): when set, every finished block is stored in this folder
  // and a rerun with the same inputs loads it instead of quantizing it again. `cache_salt`
  // names the inputs QuantizeModel cannot see (the model's config, the calibration settings and
  // seed); the weights, calibration tokens, widths and the options above are hashed here.
  std::string cache_dir;
  std::string cache_salt;
  std::function<void(const std::string&)> warn;  // e.g. a corrupt cache file (default: stderr)
};

// Passes `message` to options.warn, or prints it as a warning on stderr when none is set.
void WarnOf(const QuantizeOptions& options, const std::string& message);

// keys[l]: the resume cache's key of block l, a hash of everything its result depends on,
// chained over blocks 0..l (the inputs of block l are the outputs of the quantized blocks
// before it). Hashes the weights, so it must run before any block is modified.
std::vector<uint64_t> BlockCacheKeys(Model& model, const QuantizeOptions& options);

// Checks widths, group size and calibration windows against the model.
Status ValidateQuantizeOptions(const QuantizeOptions& options, const ModelConfig& config);

// Quantizes every block with bits > 0. `model` is modified: its quantized block linear layers
// end up packed (Linear::packed, storage the model keeps alive; Linear::w without data), as a
// loaded quantized folder holds them, and AWQ folds its scales into norm weights and preceding
// layers, so that the model computes what the quantized model does and
// WriteQuantizedModel(model, ...) writes it.
Status QuantizeModel(Model& model, const QuantizeOptions& options, ThreadPool& pool);

}  // namespace lieq
