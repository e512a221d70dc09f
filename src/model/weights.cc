#include "model/weights.h"

#include <cassert>

namespace lieq {

const char* ProjectionName(Projection p) {
  switch (p) {
    case Projection::kQ: return "q";
    case Projection::kK: return "k";
    case Projection::kV: return "v";
    case Projection::kO: return "o";
    case Projection::kGate: return "gate";
    case Projection::kUp: return "up";
    case Projection::kDown: return "down";
  }
  return "?";
}

Linear& BlockWeights::linear(Projection p) {
  return const_cast<Linear&>(static_cast<const BlockWeights&>(*this).linear(p));
}

const Linear& BlockWeights::linear(Projection p) const {
  switch (p) {
    case Projection::kQ: return q;
    case Projection::kK: return k;
    case Projection::kV: return v;
    case Projection::kO: return o;
    case Projection::kGate: return gate;
    case Projection::kUp: return up;
    case Projection::kDown: return down;
  }
  assert(false);
  return q;
}

std::vector<TensorSlot> TensorSlots(const ModelConfig& c, ModelWeights& w) {
  const int64_t d = c.hidden_size, ff = c.intermediate_size, hd = c.head_dim;
  w.blocks.resize(static_cast<size_t>(c.num_layers));
  std::vector<TensorSlot> slots;
  auto add = [&](std::string hf, std::string gguf, Shape shape, TensorView* view, int block,
                 bool is_linear) {
    const bool is_vector = shape.size() == 1;
    slots.push_back({std::move(hf), std::move(gguf), std::move(shape), view, block, is_linear,
                     is_vector});
  };
  add("model.embed_tokens.weight", "token_embd.weight", {c.vocab_size, d}, &w.embed, -1, false);
  for (int i = 0; i < static_cast<int>(c.num_layers); ++i) {
    BlockWeights& b = w.blocks[static_cast<size_t>(i)];
    const std::string hf = "model.layers." + std::to_string(i) + ".";
    const std::string gg = "blk." + std::to_string(i) + ".";
    add(hf + "input_layernorm.weight", gg + "attn_norm.weight", {d}, &b.attn_norm, i, false);
    add(hf + "self_attn.q_proj.weight", gg + "attn_q.weight", {c.q_dim(), d}, &b.q.w, i, true);
    add(hf + "self_attn.k_proj.weight", gg + "attn_k.weight", {c.kv_dim(), d}, &b.k.w, i, true);
    add(hf + "self_attn.v_proj.weight", gg + "attn_v.weight", {c.kv_dim(), d}, &b.v.w, i, true);
    if (c.qkv_bias) {
      add(hf + "self_attn.q_proj.bias", gg + "attn_q.bias", {c.q_dim()}, &b.q.bias, i, false);
      add(hf + "self_attn.k_proj.bias", gg + "attn_k.bias", {c.kv_dim()}, &b.k.bias, i, false);
      add(hf + "self_attn.v_proj.bias", gg + "attn_v.bias", {c.kv_dim()}, &b.v.bias, i, false);
    }
    if (c.qk_norm) {
      add(hf + "self_attn.q_norm.weight", gg + "attn_q_norm.weight", {hd}, &b.q_norm, i, false);
      add(hf + "self_attn.k_norm.weight", gg + "attn_k_norm.weight", {hd}, &b.k_norm, i, false);
    }
    add(hf + "self_attn.o_proj.weight", gg + "attn_output.weight", {d, c.q_dim()}, &b.o.w, i,
        true);
    if (c.o_bias) {
      add(hf + "self_attn.o_proj.bias", gg + "attn_output.bias", {d}, &b.o.bias, i, false);
    }
    add(hf + "post_attention_layernorm.weight", gg + "ffn_norm.weight", {d}, &b.ffn_norm, i,
        false);
    add(hf + "mlp.gate_proj.weight", gg + "ffn_gate.weight", {ff, d}, &b.gate.w, i, true);
    add(hf + "mlp.up_proj.weight", gg + "ffn_up.weight", {ff, d}, &b.up.w, i, true);
    add(hf + "mlp.down_proj.weight", gg + "ffn_down.weight", {d, ff}, &b.down.w, i, true);
  }
  add("model.norm.weight", "output_norm.weight", {d}, &w.final_norm, -1, false);
  if (!c.tie_word_embeddings) {
    add("lm_head.weight", "output.weight", {c.vocab_size, d}, &w.lm_head, -1, false);
  }
  return slots;
}

}  // namespace lieq
