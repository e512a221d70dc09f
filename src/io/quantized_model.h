// Models quantized to the project's group format (kernels/group_quant.h), stored as a Hugging
// Face-style folder: config.json with a "quantization_config", the tokenizer files, and a
// model.safetensors holding the non-linear tensors as before plus, for every quantized linear
// layer, <name>.qweight (U8 packed codes), <name>.scales (F16) and <name>.zeros (F16); the
// embeddings and head optionally in a ggml block type (Q6_K, Q4_K, ...) as U8 bytes.
// docs/QUANT_FORMAT.md is the specification.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "kernels/group_quant.h"
#include "model/model.h"

namespace lieq {

// One linear weight in the group format, owning its storage.
struct PackedLinear {
  int bits = 0;
  int group_size = 0;
  int64_t rows = 0;              // out
  int64_t cols = 0;              // in
  std::vector<uint8_t> codes;    // [rows, PackedRowBytes(bits, cols)]
  std::vector<uint16_t> scales;  // [rows, cols / group_size] FP16
  std::vector<uint16_t> zeros;   // [rows, cols / group_size] FP16, integer-valued

  GroupQuantView view() const {
    return {bits, group_size, rows, cols, codes.data(), scales.data(), zeros.data()};
  }
};

struct QuantizationConfig {
  std::string method;     // rtn | gptq | awq | awq+gptq
  std::vector<int> bits;  // [L] width of block l's linear layers
  int group_size = 128;
  nlohmann::json details = nlohmann::json::object();  // calibration and options, recorded as-is
  // Matrices outside the blocks stored in a ggml block type (e.g. "model.embed_tokens.weight"
  // → q6_K), as U8 [rows, RowBytes]; read back, not written (the writer takes the model's).
  std::map<std::string, DType> tensor_types;
};

// True when folder/config.json has quantization_config.quant_method == "lieq".
bool IsQuantizedModelFolder(const std::string& folder);

// Maps the folder; every quantized Linear gets `packed` views into the mapped file (no
// dequantization) and a `w` that only carries the shape.
Result<Model> LoadQuantizedModel(const std::string& folder);
// The quantization_config of a folder LoadQuantizedModel accepts.
Result<QuantizationConfig> ReadQuantizationConfig(const std::string& folder);

// Writes `folder`: every tensor from model.weights, the linear layers of the blocks `quant.bits`
// quantizes from their packed form (Linear::packed, as QuantizeModel or LoadQuantizedModel leave
// them), the tokenizer files copied from model.source_path (when a folder). The folder is built
// as "<folder>.tmp-<pid>" and renamed into place when complete; an existing folder is replaced
// only when `force`.
Status WriteQuantizedModel(const Model& model, const QuantizationConfig& quant,
                           const std::string& folder, bool force);

}  // namespace lieq
