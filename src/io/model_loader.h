// Opens a model from what users have: a Hugging Face folder (config.json + model.safetensors
// or sharded model.safetensors.index.json, optional tokenizer.json) or a GGUF file.
#pragma once

#include <string>

#include "core/status.h"
#include "model/model.h"

namespace lieq {

Result<Model> LoadModel(const std::string& path);

Result<Model> LoadHfModel(const std::string& folder);

// Checks `source` against the slot's expected shape and stores it: block linear weights and
// embeddings stay in place (F32/F16/BF16), norms and biases become F32 copies owned by the
// model. `file` names the source in errors.
Status BindTensor(Model& model, const TensorSlot& slot, const TensorView& source,
                  const std::string& file);

// After all slots are bound: points lm_head at the embeddings when they are tied.
void FinishBinding(Model& model);

}  // namespace lieq
