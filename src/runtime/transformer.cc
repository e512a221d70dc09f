#include "runtime/transformer.h"

#include <algorithm>
#include <cstring>

#include "kernels/group_matmul.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "runtime/attention.h"

namespace lieq {

Transformer::Transformer(const Model& model, ThreadPool& pool, const MatMulOptions& kernels)
    : model_(model), pool_(pool), kernels_(kernels), inv_freq_(model.config.RopeInvFreq()) {}

void Transformer::ReleaseScratch() {
  for (std::vector<float>* v : {&xn_, &q_, &k_, &v_, &attn_, &gate_, &up_, &out_}) {
    *v = std::vector<float>();
  }
  scratch_rows_ = 0;
}

void Transformer::EnsureScratch(int64_t n) {
  if (n <= scratch_rows_) return;
  const ModelConfig& c = model_.config;
  auto size = [n](int64_t width) { return static_cast<size_t>(n * width); };
  xn_.resize(size(c.hidden_size));
  q_.resize(size(c.q_dim()));
  k_.resize(size(c.kv_dim()));
  v_.resize(size(c.kv_dim()));
  attn_.resize(size(c.q_dim()));
  gate_.resize(size(c.intermediate_size));
  up_.resize(size(c.intermediate_size));
  out_.resize(size(c.hidden_size));
  scratch_rows_ = n;
}

void Transformer::Linear(const ::lieq::Linear& layer, const float* x, int64_t n, float* y) {
  if (layer.is_packed()) {
    GroupMatMul(x, n, layer.packed, y, pool_, kernels_);
  } else {
    MatMul(x, n, layer.w, y, pool_, kernels_);
  }
  if (layer.bias.data == nullptr) return;
  const int64_t out = layer.w.rows();
  const float* b = reinterpret_cast<const float*>(layer.bias.data);
  for (int64_t t = 0; t < n; ++t) AddInPlace(y + t * out, b, out);
}

Status Transformer::Embed(std::span<const int32_t> tokens, float* x) {
  const TensorView& embed = model_.weights.embed;
  for (size_t t = 0; t < tokens.size(); ++t) {
    if (tokens[t] < 0 || tokens[t] >= embed.rows()) {
      return InvalidArgument("token id " + std::to_string(tokens[t]) + " at position " +
                             std::to_string(t) + " is outside the vocabulary of " +
                             std::to_string(embed.rows()));
    }
    RowToF32(embed, tokens[t], x + static_cast<int64_t>(t) * embed.cols());
  }
  return Status::Ok();
}

void Transformer::Block(int l, float* x, int64_t n, KvCache& cache, const ForwardHooks* hooks) {
  const ModelConfig& c = model_.config;
  const BlockWeights& w = model_.weights.blocks[static_cast<size_t>(l)];
  const int64_t d = c.hidden_size, hd = c.head_dim, ff = c.intermediate_size;
  const int64_t pos0 = cache.size();
  EnsureScratch(n);
  auto observe = [&](Projection p, const float* input, int64_t width) {
    if (hooks != nullptr && hooks->linear_input) hooks->linear_input(l, p, input, n, width);
  };
  auto f32 = [](const TensorView& v) { return reinterpret_cast<const float*>(v.data); };

  // Attention: x += o(Attention(RoPE(q(xn)), RoPE(k(xn)), v(xn))), xn = RmsNorm(x)
  RmsNorm(x, f32(w.attn_norm), n, d, c.rms_norm_eps, xn_.data());
  observe(Projection::kQ, xn_.data(), d);
  observe(Projection::kK, xn_.data(), d);
  observe(Projection::kV, xn_.data(), d);
  Linear(w.q, xn_.data(), n, q_.data());
  Linear(w.k, xn_.data(), n, k_.data());
  Linear(w.v, xn_.data(), n, v_.data());
  if (c.qk_norm) {  // Qwen3: RMSNorm over each head's hd values, before RoPE
    RmsNorm(q_.data(), f32(w.q_norm), n * c.num_heads, hd, c.rms_norm_eps, q_.data());
    RmsNorm(k_.data(), f32(w.k_norm), n * c.num_kv_heads, hd, c.rms_norm_eps, k_.data());
  }
  float* keys = cache.keys(l);
  float* values = cache.values(l);
  pool_.ParallelFor(n, [&](int64_t t) {
    ApplyRope(q_.data() + t * c.q_dim(), c.num_heads, hd, pos0 + t, inv_freq_);
    ApplyRope(k_.data() + t * c.kv_dim(), c.num_kv_heads, hd, pos0 + t, inv_freq_);
  });
  std::memcpy(keys + pos0 * c.kv_dim(), k_.data(),
              sizeof(float) * static_cast<size_t>(n * c.kv_dim()));
  std::memcpy(values + pos0 * c.kv_dim(), v_.data(),
              sizeof(float) * static_cast<size_t>(n * c.kv_dim()));
  CausalAttention(c, q_.data(), keys, values, n, pos0, attn_.data(), pool_);
  observe(Projection::kO, attn_.data(), c.q_dim());
  Linear(w.o, attn_.data(), n, out_.data());
  AddInPlace(x, out_.data(), n * d);

  // MLP: x += down(silu(gate(xn)) * up(xn)), xn = RmsNorm(x)
  RmsNorm(x, f32(w.ffn_norm), n, d, c.rms_norm_eps, xn_.data());
  observe(Projection::kGate, xn_.data(), d);
  observe(Projection::kUp, xn_.data(), d);
  Linear(w.gate, xn_.data(), n, gate_.data());
  Linear(w.up, xn_.data(), n, up_.data());
  SiluMul(gate_.data(), up_.data(), n * ff, gate_.data());
  observe(Projection::kDown, gate_.data(), ff);
  if (hooks != nullptr && hooks->inputs_only) return;
  Linear(w.down, gate_.data(), n, out_.data());
  AddInPlace(x, out_.data(), n * d);
}

void Transformer::FinalNorm(const float* x, int64_t n, float* hidden) {
  const ModelConfig& c = model_.config;
  RmsNorm(x, reinterpret_cast<const float*>(model_.weights.final_norm.data), n, c.hidden_size,
          c.rms_norm_eps, hidden);
}

Status Transformer::Forward(std::span<const int32_t> tokens, KvCache& cache, float* hidden,
                            const ForwardHooks* hooks) {
  const ModelConfig& c = model_.config;
  const auto n = static_cast<int64_t>(tokens.size());
  if (cache.size() + n > cache.capacity()) {
    return InvalidArgument("context of " + std::to_string(cache.size() + n) +
                           " tokens exceeds the KV cache capacity " +
                           std::to_string(cache.capacity()));
  }
  std::vector<float> x(static_cast<size_t>(n * c.hidden_size));
  LIEQ_RETURN_IF_ERROR(Embed(tokens, x.data()));
  for (int l = 0; l < static_cast<int>(c.num_layers); ++l) {
    const bool skip = hooks != nullptr && static_cast<size_t>(l) < hooks->skip_blocks.size() &&
                      hooks->skip_blocks[static_cast<size_t>(l)];
    if (!skip) Block(l, x.data(), n, cache, hooks);
  }
  cache.Advance(n);
  FinalNorm(x.data(), n, hidden);
  return Status::Ok();
}

void Transformer::Logits(const float* hidden, int64_t n, float* logits) {
  MatMul(hidden, n, model_.weights.lm_head, logits, pool_, kernels_);
}

}  // namespace lieq
