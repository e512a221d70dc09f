// An independent, plain double-precision forward pass written straight from the Hugging Face
// definitions (no shared kernels), used to check the engine, plus a random in-memory model.
#pragma once

#include <cstdint>
#include <vector>

#include "model/model.h"

namespace lieq::testing {

// Random weights N(0, std²), norms 1 + 0.1·N(0,1), as F32 (or BF16 for linear layers).
Model MakeRandomModel(const ModelConfig& config, uint64_t seed, DType linear_dtype = DType::kF32,
                      double std = 0.05);

// logits [n, V] for tokens at positions 0..n-1; skip[l] makes block l the identity.
std::vector<double> ReferenceLogits(const Model& model, const std::vector<int32_t>& tokens,
                                    const std::vector<bool>& skip = {});

ModelConfig TinyConfig(Arch arch);

}  // namespace lieq::testing
