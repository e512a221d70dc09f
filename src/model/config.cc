#include "model/config.h"

#include <cmath>

namespace lieq {

std::string_view ArchName(Arch arch) {
  switch (arch) {
    case Arch::kLlama: return "LlamaForCausalLM";
    case Arch::kQwen2: return "Qwen2ForCausalLM";
    case Arch::kQwen3: return "Qwen3ForCausalLM";
  }
  return "?";
}

std::string_view ArchGgufName(Arch arch) {
  switch (arch) {
    case Arch::kLlama: return "llama";
    case Arch::kQwen2: return "qwen2";
    case Arch::kQwen3: return "qwen3";
  }
  return "?";
}

Result<Arch> ArchFromName(std::string_view name) {
  for (Arch a : {Arch::kLlama, Arch::kQwen2, Arch::kQwen3}) {
    if (name == ArchName(a) || name == ArchGgufName(a)) return a;
  }
  return Unimplemented("unknown architecture '" + std::string(name) +
                       "' (supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)");
}

Status ModelConfig::Validate() const {
  auto positive = [](int64_t v, const char* name) -> Status {
    if (v <= 0 || v > (int64_t{1} << 24)) {
      return InvalidArgument(std::string(name) + " must be in [1, 2^24], got " + std::to_string(v));
    }
    return Status::Ok();
  };
  LIEQ_RETURN_IF_ERROR(positive(vocab_size, "vocab_size"));
  LIEQ_RETURN_IF_ERROR(positive(hidden_size, "hidden_size"));
  LIEQ_RETURN_IF_ERROR(positive(intermediate_size, "intermediate_size"));
  LIEQ_RETURN_IF_ERROR(positive(num_layers, "num_hidden_layers"));
  LIEQ_RETURN_IF_ERROR(positive(num_heads, "num_attention_heads"));
  LIEQ_RETURN_IF_ERROR(positive(num_kv_heads, "num_key_value_heads"));
  LIEQ_RETURN_IF_ERROR(positive(head_dim, "head_dim"));
  if (num_heads % num_kv_heads != 0) {
    return InvalidArgument("num_attention_heads (" + std::to_string(num_heads) +
                           ") is not a multiple of num_key_value_heads (" +
                           std::to_string(num_kv_heads) + ")");
  }
  if (head_dim % 2 != 0) return InvalidArgument("head_dim must be even for RoPE");
  if (!(rope_theta > 0)) return InvalidArgument("rope_theta must be positive");
  if (!(rms_norm_eps > 0)) return InvalidArgument("rms_norm_eps must be positive");
  if (!rope_freq_factors.empty() &&
      static_cast<int64_t>(rope_freq_factors.size()) != head_dim / 2) {
    return InvalidArgument("rope_freq_factors must have head_dim/2 entries");
  }
  return Status::Ok();
}

std::vector<double> ModelConfig::RopeInvFreq() const {
  std::vector<double> inv_freq;
  for (int64_t i = 0; i < head_dim / 2; ++i) {
    double f = 1.0 / std::pow(rope_theta, 2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
    if (!rope_freq_factors.empty()) f /= rope_freq_factors[static_cast<size_t>(i)];
    inv_freq.push_back(f);
  }
  return inv_freq;
}

}  // namespace lieq
