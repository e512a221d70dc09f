#include "plan/model_sizes.h"

#include <nlohmann/json.hpp>

#include "model/weights.h"

namespace lieq {
namespace {

// Bits of one FP16 scale plus one FP16 zero point per quantization group.
constexpr int kGroupOverheadBits = 32;

}  // namespace

ModelSizes ModelSizesFromConfig(const ModelConfig& config, int stored_bits) {
  ModelSizes sizes;
  sizes.stored_bits = stored_bits;
  sizes.block_linear_params.assign(static_cast<size_t>(config.num_layers), 0);
  sizes.block_other_params.assign(static_cast<size_t>(config.num_layers), 0);
  ModelWeights weights;
  for (const TensorSlot& slot : TensorSlots(config, weights)) {
    int64_t n = 1;
    for (int64_t d : slot.shape) n *= d;
    if (slot.block >= 0) {
      (slot.is_linear ? sizes.block_linear_params
                      : sizes.block_other_params)[static_cast<size_t>(slot.block)] += n;
    } else if (slot.hf_name == "model.embed_tokens.weight") {
      sizes.embed_params = n;
    } else if (slot.hf_name == "lm_head.weight") {
      sizes.head_params = n;
    } else {
      sizes.final_norm_params += n;
    }
  }
  return sizes;
}

double AverageBitsFile(const ModelSizes& s, std::span<const int> bits, int group_size) {
  double total_bits = 0, total_params = 0;
  for (size_t l = 0; l < s.block_linear_params.size(); ++l) {
    const auto n = static_cast<double>(s.block_linear_params[l]);
    const double groups = n / group_size;
    total_bits += n * bits[l] + groups * kGroupOverheadBits;
    total_params += n;
    total_bits += static_cast<double>(s.block_other_params[l]) * s.stored_bits;
    total_params += static_cast<double>(s.block_other_params[l]);
  }
  const auto rest = static_cast<double>(s.embed_params + s.head_params + s.final_norm_params);
  total_bits += rest * s.stored_bits;
  total_params += rest;
  return total_params > 0 ? total_bits / total_params : 0;
}

int64_t BlockLinearBytes(int64_t params, int bits, int group_size) {
  return params * bits / 8 + params / group_size * (kGroupOverheadBits / 8);
}

nlohmann::json ModelSizesToJson(const ModelSizes& s) {
  return {{"block_linear_params", s.block_linear_params},
          {"block_other_params", s.block_other_params},
          {"embed_params", s.embed_params},
          {"head_params", s.head_params},
          {"final_norm_params", s.final_norm_params},
          {"stored_bits", s.stored_bits}};
}

Result<ModelSizes> ModelSizesFromJson(const nlohmann::json& j, const std::string& source) {
  ModelSizes s;
  try {
    s.block_linear_params = j.at("block_linear_params").get<std::vector<int64_t>>();
    s.block_other_params = j.at("block_other_params").get<std::vector<int64_t>>();
    s.embed_params = j.at("embed_params").get<int64_t>();
    s.head_params = j.at("head_params").get<int64_t>();
    s.final_norm_params = j.at("final_norm_params").get<int64_t>();
    s.stored_bits = j.at("stored_bits").get<int>();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(source + ": \"sizes\" is incomplete or mistyped (" + e.what() + ")");
  }
  if (s.block_linear_params.empty() ||
      s.block_other_params.size() != s.block_linear_params.size()) {
    return InvalidArgument(source + ": \"sizes\" has inconsistent block counts");
  }
  return s;
}

}  // namespace lieq
