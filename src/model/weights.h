// The weights of one decoder-only transformer, as non-owning views. Storage (memory
// maps, converted buffers) lives in Model. Shapes use ModelConfig's names:
// d = hidden_size, ff = intermediate_size, hd = head_dim, H = num_heads,
// Hkv = num_kv_heads, V = vocab_size.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "kernels/group_quant.h"
#include "model/config.h"

namespace lieq {

// y = x · Wᵀ (+ b). Weights may be any DType; biases are F32. A layer quantized to the
// project's group format carries `packed` (bits > 0) and the engine computes from it; `w`
// then still describes the shape (dtype F32, data nullptr).
struct Linear {
  TensorView w;           // [out, in]
  TensorView bias;        // [out] or empty (data == nullptr)
  GroupQuantView packed;  // [out, in] group-quantized, or bits == 0
  bool is_packed() const { return packed.bits > 0; }
};

// The seven linear layers LieQ quantizes together, in a fixed order.
enum class Projection { kQ, kK, kV, kO, kGate, kUp, kDown };
inline constexpr Projection kAllProjections[] = {Projection::kQ,    Projection::kK,
                                                 Projection::kV,    Projection::kO,
                                                 Projection::kGate, Projection::kUp,
                                                 Projection::kDown};
const char* ProjectionName(Projection p);  // "q", "k", "v", "o", "gate", "up", "down"

struct BlockWeights {
  TensorView attn_norm;  // [d]            F32
  Linear q;              // [H*hd, d]      bias [H*hd] (Qwen2)
  Linear k;              // [Hkv*hd, d]    bias [Hkv*hd] (Qwen2)
  Linear v;              // [Hkv*hd, d]    bias [Hkv*hd] (Qwen2)
  TensorView q_norm;     // [hd]           F32, Qwen3 only
  TensorView k_norm;     // [hd]           F32, Qwen3 only
  Linear o;              // [d, H*hd]
  TensorView ffn_norm;   // [d]            F32
  Linear gate;           // [ff, d]
  Linear up;             // [ff, d]
  Linear down;           // [d, ff]

  Linear& linear(Projection p);
  const Linear& linear(Projection p) const;
};

struct ModelWeights {
  TensorView embed;       // [V, d]
  std::vector<BlockWeights> blocks;  // L of them
  TensorView final_norm;  // [d] F32
  TensorView lm_head;     // [V, d]; the same view as embed when embeddings are tied
};

// One named weight in a checkpoint: its names in both file formats, the shape the config
// implies, and where the loaded view goes. The single list that loaders, writers and
// quantizers walk (see ForEachTensor).
struct TensorSlot {
  std::string hf_name;    // "model.layers.3.self_attn.q_proj.weight"
  std::string gguf_name;  // "blk.3.attn_q.weight"
  Shape shape;            // row-major, as in safetensors
  TensorView* view;       // where the loaded tensor goes
  int block = -1;         // block index, or -1 for embeddings, final norm, head
  bool is_linear = false; // a block linear weight (quantizable by LieQ)
  bool is_vector = false; // a norm or bias: kept in F32 by the engine
};

// Every tensor the config asks for, in file order: embeddings, blocks 0..L-1, final norm,
// head (absent when tied).
std::vector<TensorSlot> TensorSlots(const ModelConfig& config, ModelWeights& weights);

// Calls fn(slot) for every slot; the visitor the io and quant code share.
template <typename Fn>
void ForEachTensor(const ModelConfig& config, ModelWeights& weights, Fn&& fn) {
  for (TensorSlot& slot : TensorSlots(config, weights)) fn(slot);
}

}  // namespace lieq
