// The decoder forward pass, written to read like the math. It reads weights through the
// Model on every call, so a caller may swap a block's linear weights between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "kernels/matmul.h"
#include "model/model.h"
#include "runtime/kv_cache.h"

namespace lieq {

// Optional instrumentation of a forward pass (LieQ diagnostics, GPTQ/AWQ calibration).
struct ForwardHooks {
  // skip_blocks[l] == true replaces block l by the identity (the residual stream passes on).
  std::vector<bool> skip_blocks;
  // Sees the input x [n, in] of each linear layer of each block, before the layer runs.
  // q, k, v receive the same pointer, as do gate and up.
  std::function<void(int block, Projection projection, const float* x, int64_t n, int64_t in)>
      linear_input;
  // Block() returns right after the down projection's input is observed, leaving x half updated:
  // for callers that want the linear inputs only (calibration statistics), a fifth of the
  // block's multiply-adds saved.
  bool inputs_only = false;
};

class Transformer {
 public:
  // `kernels` chooses the prefill kernels (kernels/matmul.h): the default keeps activations
  // exact (what perplexity and calibration measure); generation passes fast_prefill.
  Transformer(const Model& model, ThreadPool& pool, const MatMulOptions& kernels = {});

  const ModelConfig& config() const { return model_.config; }

  // Runs `tokens` at positions cache.size().. through every block, appends their keys and
  // values to `cache`, and writes the final-normed hidden states [n, d] to `hidden`.
  // Errors: a token id outside the vocabulary, or the cache too small.
  Status Forward(std::span<const int32_t> tokens, KvCache& cache, float* hidden,
                 const ForwardHooks* hooks = nullptr);

  // The same, in steps, for callers that process one block at a time (GPTQ). Block writes
  // keys and values at cache.size().. without advancing it: call cache.Advance(n) after the
  // last block.
  Status Embed(std::span<const int32_t> tokens, float* x);  // x [n, d]
  void Block(int l, float* x, int64_t n, KvCache& cache, const ForwardHooks* hooks = nullptr);
  // Frees the per-token activation buffers (n × (2d + 2·q_dim + 2·kv_dim + 2·ff) floats, 110 MB
  // at 2048 tokens of Qwen3-0.6B) until the next call needs them: for callers that do other
  // memory-hungry work between passes (the GPTQ solver).
  void ReleaseScratch();
  void FinalNorm(const float* x, int64_t n, float* hidden);

  // logits [n, V] = hidden [n, d] · lm_headᵀ
  void Logits(const float* hidden, int64_t n, float* logits);

 private:
  void EnsureScratch(int64_t n);
  void Linear(const ::lieq::Linear& layer, const float* x, int64_t n, float* y);

  const Model& model_;
  ThreadPool& pool_;
  MatMulOptions kernels_;
  std::vector<double> inv_freq_;  // [hd/2]
  int64_t scratch_rows_ = 0;
  std::vector<float> xn_, q_, k_, v_, attn_, gate_, up_, out_;
};

}  // namespace lieq
