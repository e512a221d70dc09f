// NaN/Inf in a model's weights: checked before quantize and convert write anything, so a
// broken checkpoint stops with the tensor named instead of producing a broken output.
#pragma once

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"

namespace lieq {

// Scans every F32/F16/BF16 tensor of `model` (packed and GGUF block types are not read) and
// returns DataLoss naming the first tensor, in file order, with a NaN or Inf: its name, the
// element's row and column and the value. Each tensor is split across `pool`.
Status CheckFiniteWeights(const Model& model, ThreadPool& pool);

}  // namespace lieq
