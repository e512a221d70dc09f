// Parameter counts of a model, split the way bit budgets are stated: block linear weights (what
// LieQ quantizes) and everything else (embeddings, head, norms, biases).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <vector>

#include "core/status.h"
#include "model/config.h"

namespace lieq {

struct ModelSizes {
  std::vector<int64_t> block_linear_params;  // [L] q, k, v, o, gate, up, down weights
  std::vector<int64_t> block_other_params;   // [L] norms and biases
  int64_t embed_params = 0;                  // V·d
  int64_t head_params = 0;                   // V·d, or 0 when tied to the embeddings
  int64_t final_norm_params = 0;             // d
  int stored_bits = 16;                      // width of unquantized tensors in the file
};

// Counts from the config's tensor list (TensorSlots); `stored_bits` is 16 for BF16/F16
// checkpoints, 32 for F32.
ModelSizes ModelSizesFromConfig(const ModelConfig& config, int stored_bits);

// Average bits per weight of the whole quantized file: block linear weights at their planned
// width plus one FP16 scale and one FP16 zero (32 bits) per group of `group_size` weights;
// embeddings, head (counted once when tied), norms and biases at `stored_bits`.
double AverageBitsFile(const ModelSizes& sizes, std::span<const int> bits, int group_size);

// Exact stored bytes of `params` block linear weights at `bits` in the project's group format
// (docs/QUANT_FORMAT.md): codes packed at `bits` per weight plus an FP16 scale and an FP16 zero
// per group of `group_size` input columns. Exact when every layer's input dimension is a
// multiple of the group size, which ValidateBitPlan requires.
int64_t BlockLinearBytes(int64_t params, int bits, int group_size);

nlohmann::json ModelSizesToJson(const ModelSizes& sizes);
Result<ModelSizes> ModelSizesFromJson(const nlohmann::json& json, const std::string& source);

}  // namespace lieq
