// The token embeddings and the output head in a low-bit ggml type (RTN in that type's grid),
// for both outputs: the GGUF export (llama.cpp's choice, Q6_K head) and the project's folder
// format (opt-in: --head-type / --embed-type). On Qwen3-0.6B the tied 151936 × 1024 matrix is
// 70 % of a 2-bit model's bytes in BF16, and decode reads the head once per token.
#pragma once

#include <map>
#include <optional>

#include "core/dtype.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"

namespace lieq {

struct EmbedHeadTypes {
  DType head = DType::kQ6_K;
  // unset: `head` when the embeddings are tied (one tensor serves both), else kQ4_K. Tied
  // embeddings given a type other than the head's are untied (two tensors).
  std::optional<DType> embed;
};

// Checks that every named type has a quantizer here.
Status CheckEmbedHeadTypes(const EmbedHeadTypes& types);

// Replaces model.weights.embed and lm_head by tensors of the chosen types (a type whose blocks
// do not fit the rows falls back as FitTypeToRow says). Clears config.tie_word_embeddings when
// the two end up different. `wanted` receives the type each tensor was asked for, so callers
// can report fallbacks.
Status QuantizeEmbedHead(Model& model, const EmbedHeadTypes& types, ThreadPool& pool,
                         std::map<const TensorView*, DType>* wanted = nullptr);

// `src` [rows, cols] as a tensor of `type` owned by `model` (float types converted, block
// types RTN in their grid).
Result<TensorView> QuantizeMatrix(Model& model, const TensorView& src, DType type,
                                  ThreadPool& pool);

}  // namespace lieq
