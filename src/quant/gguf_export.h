// LieQ → GGUF that stock llama.cpp runs: every block's width (BitPlan) becomes one standard
// ggml type for its seven linear layers through a data table (kGgufTypeRules), GPTQ or RTN runs
// in that type's own grid (quant/kquant_gptq.h), and the embeddings and output head take types
// the user chooses. The file is written by WriteGgufModel (tokenizer and metadata included),
// atomically. docs/GGUF_EXPORT.md has the table and the rules.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/dtype.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"
#include "quant/model_quantizer.h"

namespace lieq {

// Width → type. A K type needs the input dimension to be a multiple of 256; where it is not,
// the layer takes `fallback`, whose 32-element blocks fit every reference model (llama.cpp's
// llama-quantize falls back per tensor the same way).
struct GgufTypeRule {
  int bits;
  DType type;
  DType fallback;
};
inline constexpr GgufTypeRule kGgufTypeRules[] = {
    {2, DType::kQ2_K, DType::kQ4_0}, {3, DType::kQ3_K, DType::kQ4_0},
    {4, DType::kQ4_K, DType::kQ4_1}, {5, DType::kQ5_K, DType::kQ8_0},
    {6, DType::kQ6_K, DType::kQ8_0}, {8, DType::kQ8_0, DType::kQ8_0},
};

// The type a block of width `bits` stores a layer with `in` input columns in.
Result<DType> GgufTypeForBits(int bits, int64_t in);
// `type` itself when rows of `in` columns split into its blocks, else its fallback (a K type
// falls back as the rule whose type it is; F32/F16/BF16 always fit).
DType FitTypeToRow(DType type, int64_t in);

struct GgufExportOptions {
  DType head_type = DType::kQ6_K;  // output.weight (llama-quantize's choice for its mixtures)
  // token_embd.weight; unset: head_type when the embeddings are tied (one tensor serves both),
  // else kQ4_K. Tied embeddings given a type other than head_type are untied (two tensors).
  std::optional<DType> embed_type;
  std::string name;  // general.name; empty: the source's
  WriteOptions write;
};

struct GgufTensorReport {
  std::string name;
  DType type = DType::kF32;
  int64_t elements = 0;
  int64_t bytes = 0;
};

// A tensor stored in another type than asked for, because its rows do not split into the
// asked type's blocks (e.g. a K type on an input dimension that is not a multiple of 256).
struct GgufTypeFallback {
  std::string tensor;  // GGUF name, e.g. "blk.0.ffn_down.weight"
  DType wanted = DType::kF32;
  DType used = DType::kF32;
};
struct GgufExportReport {
  std::vector<GgufTensorReport> tensors;  // in file order
  std::vector<GgufTypeFallback> fallbacks;  // in file order
  int64_t tensor_bytes = 0;               // Σ bytes of every tensor
  int64_t weights = 0;                    // Σ elements of every tensor
  int64_t file_bytes = 0;                 // the file's size (metadata and padding included)
  double bits_per_weight() const {
    return weights > 0 ? 8.0 * static_cast<double>(tensor_bytes) / static_cast<double>(weights)
                       : 0.0;
  }
};

// Quantizes `model` (method rtn or gptq, bits and calibration from `quant`) into ggml types and
// writes it to `path`. The model's block linear layers end up as the quantized tensors. AWQ is
// kUnimplemented; a block of width 0 keeps its layers' dtype.
Result<GgufExportReport> ExportGguf(Model& model, const QuantizeOptions& quant,
                                    const GgufExportOptions& options, const std::string& path,
                                    ThreadPool& pool);

// A user's type name for --embed-type/--head-type: f32, f16, bf16, q8_0, q4_0, q4_1, q2_k, q3_k,
// q4_k, q5_k, q6_k (any case). `flag` names the option in the error.
Result<DType> ParseGgufTensorType(const std::string& name, const std::string& flag);

// One line per type (tensor count, bytes), one per kind of type fallback (count and the first
// tensor), and the totals, for the CLI.
std::string DescribeGgufExport(const GgufExportReport& report, const std::string& path);

// Sizes of the tensors `model` would be written with (its current dtypes), as in the report.
GgufExportReport SizeGgufTensors(Model& model);

}  // namespace lieq
