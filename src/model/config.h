// Hyper-parameters of the supported decoder-only architectures, as read from a Hugging
// Face config.json or GGUF metadata.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lieq {

enum class Arch {
  kLlama,  // LlamaForCausalLM: Llama-2, Llama-3, 3.1, 3.2
  kQwen2,  // Qwen2ForCausalLM: bias on q, k, v
  kQwen3,  // Qwen3ForCausalLM: RMSNorm on each q and k head before RoPE
};

std::string_view ArchName(Arch arch);           // HF architecture class name
std::string_view ArchGgufName(Arch arch);       // "llama", "qwen2", "qwen3"
Result<Arch> ArchFromName(std::string_view name);  // accepts either form

struct RopeScaling {
  enum class Type { kNone, kLlama3, kLinear };
  Type type = Type::kNone;
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  Arch arch = Arch::kLlama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;        // d
  int64_t intermediate_size = 0;  // ff
  int64_t num_layers = 0;         // L
  int64_t num_heads = 0;          // query heads
  int64_t num_kv_heads = 0;       // key/value heads (grouped-query attention)
  int64_t head_dim = 0;           // hd; Qwen3 sets it explicitly, others d / heads
  int64_t max_position_embeddings = 0;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  std::vector<float> rope_freq_factors;  // [hd/2] divisors of inv_freq, empty = none
                                         // (llama3/linear scaling; GGUF rope_freqs.weight)
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // Qwen2 always; Llama when attention_bias
  bool o_bias = false;    // Llama when attention_bias
  bool qk_norm = false;   // Qwen3
  double initializer_range = 0.02;
  int64_t bos_token_id = -1;
  int64_t eos_token_id = -1;

  int64_t q_dim() const { return num_heads * head_dim; }
  int64_t kv_dim() const { return num_kv_heads * head_dim; }

  // inv_freq[i] = 1 / theta^(2i/hd) / rope_freq_factors[i]: the rotary frequencies.
  std::vector<double> RopeInvFreq() const;

  // Checks the relations the engine relies on (positive sizes, heads divide evenly, ...).
  Status Validate() const;
};

}  // namespace lieq
