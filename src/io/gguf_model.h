// Model <-> GGUF: loading llama / qwen2 / qwen3 GGUF files into a Model, and writing a Model as
// a GGUF file that stock llama.cpp loads. Key and tensor names follow llama.cpp's conventions
// ({arch}.block_count, blk.N.attn_q.weight, tokenizer.ggml.*).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/atomic_file.h"
#include "core/status.h"
#include "io/gguf_reader.h"
#include "model/model.h"
#include "tokenizer/tokenizer_spec.h"

namespace lieq {

// Loads config, weights and (when present) tokenizer. F32/F16/BF16 linear weights and
// embeddings are used in place from the map; quantized ones are dequantized to F32; norms and
// biases become F32 copies. Llama q/k rows are un-permuted to Hugging Face's rotate-half layout.
Result<Model> LoadGgufModel(const std::string& path);

// The tokenizer described by tokenizer.ggml.* keys ("gpt2" -> byte-level BPE, "llama" ->
// SentencePiece BPE); kNotFound when the file has no tokenizer.ggml.model.
Result<TokenizerSpec> TokenizerSpecFromGguf(const GgufFile& file);

struct GgufWriteOptions {
  // Type of linear weights, embeddings and output head; unset keeps each weight's own dtype.
  // Norms, biases and rope_freqs are always F32. Quantized types are encoded with the
  // round-to-nearest reference quantizer.
  std::optional<DType> tensor_type;
  std::string name;  // general.name; empty: the source file or folder name
  WriteOptions write;
};

// Writes general.*, {arch}.* and tokenizer.ggml.* metadata and every tensor of the model
// (Llama q/k rows permuted for llama.cpp's RoPE; output.weight omitted when tied).
Status WriteGgufModel(const Model& model, const std::string& path, const GgufWriteOptions& options);

// Llama's q/k row permutation (convert_hf_to_gguf's `permute`): within each head of
// `head_dim` rows, GGUF row 2i + h holds Hugging Face row h * head_dim/2 + i (h = 0, 1).
int64_t LlamaHfRowOfGgufRow(int64_t gguf_row, int64_t head_dim);
int64_t LlamaGgufRowOfHfRow(int64_t hf_row, int64_t head_dim);

// llama.cpp's general.file_type (llama_ftype) for a model whose weights are mostly `type`.
uint32_t GgufFileType(DType type);

}  // namespace lieq
