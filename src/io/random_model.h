// Random-initialised models of real shapes, written as Hugging Face folders, for tests and
// benchmarks (no trained checkpoint can be downloaded on the machines this project targets).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/status.h"
#include "model/config.h"

namespace lieq {

// Named shapes: "qwen3-0.6b", "qwen3-4b", "qwen2.5-0.5b", "llama-3.2-1b", "llama-3.1-8b", and the
// test sizes "tiny-qwen3", "tiny-qwen2", "tiny-llama" (two blocks, vocab 512).
Result<ModelConfig> PresetConfig(const std::string& name);
std::vector<std::string> PresetNames();

struct RandomModelOptions {
  std::string preset;      // see PresetConfig
  std::string arch;        // optional override: "qwen3", "qwen2", "llama"
  std::string tokenizer;   // optional tokenizer.json to copy (with tokenizer_config.json beside it)
  std::string dtype = "f32";  // f32, bf16 or f16
  uint64_t seed = 0;
  int64_t num_layers = 0;  // optional override of the preset's block count
  // Norm weights are 1 + norm_jitter·N(0, 1): HF initialises them to exactly 1, which would
  // let a bug in where a norm weight is applied go unnoticed in golden tests.
  double norm_jitter = 0.1;
  WriteOptions write;
};

// Weights ~ N(0, initializer_range²), biases too; writes config.json, model.safetensors,
// generation_config.json and the tokenizer files into `folder`, built beside it and moved into
// place complete (core/folder_output.h); `write.overwrite` replaces a folder lieq wrote.
Status WriteRandomModel(const RandomModelOptions& options, const std::string& folder);

}  // namespace lieq
