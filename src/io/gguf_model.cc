#include "io/gguf_model.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/thread_pool.h"
#include "io/gguf_writer.h"
#include "kernels/dequantize.h"
#include "kernels/quantize_reference.h"

namespace lieq {
namespace {

// Every block has at least norm, q, k, v, o, norm, gate, up, down: bounds block_count by the
// tensor count before TensorSlots allocates per-block state from a forged header.
constexpr uint64_t kMinTensorsPerBlock = 9;
// llama.cpp's default when a file has no rope.freq_base.
constexpr double kDefaultRopeTheta = 10000.0;
// Written when a model has no max_position_embeddings (llama.cpp requires context_length).
constexpr int64_t kDefaultContextLength = 4096;
// Score of the "[PAD<i>]" filler tokens, as convert_hf_to_gguf writes them: never preferred.
constexpr float kPadTokenScore = -1000.0f;
constexpr uint32_t kQuantizationVersion = 2;  // ggml's GGML_QNT_VERSION

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Llama q/k weights and biases are stored permuted for llama.cpp's interleaved RoPE.
bool IsLlamaPermuted(Arch arch, std::string_view gguf_name) {
  return arch == Arch::kLlama &&
         (EndsWith(gguf_name, ".attn_q.weight") || EndsWith(gguf_name, ".attn_k.weight") ||
          EndsWith(gguf_name, ".attn_q.bias") || EndsWith(gguf_name, ".attn_k.bias"));
}

// ---------------------------------------------------------------------------------------------
// Loading

Result<ModelConfig> ConfigFromGguf(const GgufFile& f) {
  const std::string& path = f.path();
  LIEQ_ASSIGN_OR_RETURN(std::string arch_name, f.GetString("general.architecture"));
  Result<Arch> arch = ArchFromName(arch_name);
  if (!arch.ok() || ArchGgufName(*arch) != arch_name) {
    return Unimplemented(path + ": general.architecture '" + arch_name +
                         "' is not supported (llama, qwen2, qwen3 are)");
  }
  const std::string p = arch_name + ".";
  ModelConfig c;
  c.arch = *arch;
  LIEQ_ASSIGN_OR_RETURN(c.num_layers, f.GetInt(p + "block_count"));
  LIEQ_ASSIGN_OR_RETURN(c.max_position_embeddings, f.GetInt(p + "context_length"));
  LIEQ_ASSIGN_OR_RETURN(c.hidden_size, f.GetInt(p + "embedding_length"));
  LIEQ_ASSIGN_OR_RETURN(c.intermediate_size, f.GetInt(p + "feed_forward_length"));
  LIEQ_ASSIGN_OR_RETURN(c.num_heads, f.GetInt(p + "attention.head_count"));
  LIEQ_ASSIGN_OR_RETURN(c.rms_norm_eps, f.GetFloat(p + "attention.layer_norm_rms_epsilon"));
  // Optional keys default as in llama.cpp.
  c.num_kv_heads = c.num_heads;
  if (f.Has(p + "attention.head_count_kv")) {
    LIEQ_ASSIGN_OR_RETURN(c.num_kv_heads, f.GetInt(p + "attention.head_count_kv"));
  }
  if (c.num_heads <= 0) return InvalidArgument(path + ": attention.head_count must be positive");
  c.head_dim = c.hidden_size / c.num_heads;
  if (f.Has(p + "attention.key_length")) {
    LIEQ_ASSIGN_OR_RETURN(c.head_dim, f.GetInt(p + "attention.key_length"));
  }
  if (f.Has(p + "attention.value_length")) {
    LIEQ_ASSIGN_OR_RETURN(int64_t v, f.GetInt(p + "attention.value_length"));
    if (v != c.head_dim) {
      return Unimplemented(path + ": attention.value_length " + std::to_string(v) +
                           " differs from key_length " + std::to_string(c.head_dim));
    }
  }
  if (f.Has(p + "rope.dimension_count")) {
    LIEQ_ASSIGN_OR_RETURN(int64_t rot, f.GetInt(p + "rope.dimension_count"));
    if (rot != c.head_dim) {
      return Unimplemented(path + ": partial rotary embedding (rope.dimension_count " +
                           std::to_string(rot) + " < head_dim " + std::to_string(c.head_dim) +
                           ") is not supported");
    }
  }
  c.rope_theta = kDefaultRopeTheta;
  if (f.Has(p + "rope.freq_base")) {
    LIEQ_ASSIGN_OR_RETURN(c.rope_theta, f.GetFloat(p + "rope.freq_base"));
  }
  if (f.Has(p + "rope.scaling.type")) {
    LIEQ_ASSIGN_OR_RETURN(std::string type, f.GetString(p + "rope.scaling.type"));
    if (type == "linear") {
      LIEQ_ASSIGN_OR_RETURN(double factor, f.GetFloat(p + "rope.scaling.factor"));
      if (!(factor > 0)) return InvalidArgument(path + ": rope.scaling.factor must be positive");
      c.rope_scaling.type = RopeScaling::Type::kLinear;
      c.rope_scaling.factor = factor;
    } else if (type != "none") {
      return Unimplemented(path + ": rope.scaling.type '" + type +
                           "' is not supported (none, linear are)");
    }
  }

  const GgufTensorInfo* embd = f.FindTensor("token_embd.weight");
  if (embd == nullptr) return NotFound(path + ": tensor 'token_embd.weight' is missing");
  if (embd->shape.size() != 2) {
    return InvalidArgument(path + ": token_embd.weight has shape " + ShapeToString(embd->shape) +
                           ", expected [vocab, embedding_length]");
  }
  c.vocab_size = embd->shape[0];
  c.tie_word_embeddings = f.FindTensor("output.weight") == nullptr;
  c.qkv_bias = f.FindTensor("blk.0.attn_q.bias") != nullptr;
  c.o_bias = f.FindTensor("blk.0.attn_output.bias") != nullptr;
  c.qk_norm = c.arch == Arch::kQwen3;
  if (f.Has("tokenizer.ggml.bos_token_id")) {
    LIEQ_ASSIGN_OR_RETURN(c.bos_token_id, f.GetInt("tokenizer.ggml.bos_token_id"));
  }
  if (f.Has("tokenizer.ggml.eos_token_id")) {
    LIEQ_ASSIGN_OR_RETURN(c.eos_token_id, f.GetInt("tokenizer.ggml.eos_token_id"));
  }
  Status valid = c.Validate();
  if (!valid.ok()) return valid.WithContext(path);
  if (static_cast<uint64_t>(c.num_layers) > f.tensors().size() / kMinTensorsPerBlock) {
    return InvalidArgument(path + ": block_count " + std::to_string(c.num_layers) +
                           " does not fit the file's " + std::to_string(f.tensors().size()) +
                           " tensors");
  }

  // Llama-3 rope scaling travels as per-frequency divisors; linear scaling divides them all.
  const double linear =
      c.rope_scaling.type == RopeScaling::Type::kLinear ? c.rope_scaling.factor : 1.0;
  if (const GgufTensorInfo* freqs = f.FindTensor("rope_freqs.weight")) {
    if (freqs->shape != Shape{c.head_dim / 2}) {
      return InvalidArgument(path + ": rope_freqs.weight has shape " + ShapeToString(freqs->shape) +
                             ", expected [" + std::to_string(c.head_dim / 2) + "]");
    }
    c.rope_freq_factors.resize(static_cast<size_t>(c.head_dim / 2));
    DequantizeRow(freqs->dtype, f.View(*freqs).data, c.rope_freq_factors.data(), c.head_dim / 2);
    for (float& v : c.rope_freq_factors) {
      if (!(v > 0)) return InvalidArgument(path + ": rope_freqs.weight has a non-positive entry");
      v = static_cast<float>(v * linear);
    }
  } else if (linear != 1.0) {
    c.rope_freq_factors.assign(static_cast<size_t>(c.head_dim / 2), static_cast<float>(linear));
  }
  return c;
}

// An F32 copy of any tensor, or a same-dtype copy when `keep_dtype`; with `permute`, Llama's
// GGUF q/k row order is undone (HF row r comes from GGUF row LlamaGgufRowOfHfRow(r)). Rows are
// converted in parallel.
Result<OwnedTensor> ConvertTensor(const TensorView& src, bool permute, bool keep_dtype,
                                  int64_t head_dim, ThreadPool& pool, const std::string& name) {
  const int64_t rows = src.rows(), cols = src.cols();
  LIEQ_ASSIGN_OR_RETURN(OwnedTensor out, OwnedTensor::TryZeros(keep_dtype ? src.dtype : DType::kF32,
                                                               src.shape, "tensor " + name));
  const int64_t out_row_bytes = RowBytes(out.dtype, cols);
  pool.ParallelFor(rows, [&](int64_t r) {
    // A 1-D tensor (a bias) is one row whose elements are permuted; 2-D tensors permute rows.
    const int64_t from = permute && src.shape.size() > 1 ? LlamaGgufRowOfHfRow(r, head_dim) : r;
    std::byte* dst = out.buffer.data() + r * out_row_bytes;
    if (keep_dtype) {
      std::memcpy(dst, src.Row(from), static_cast<size_t>(out_row_bytes));
    } else {
      DequantizeRow(src.dtype, src.Row(from), reinterpret_cast<float*>(dst), cols);
    }
  });
  if (permute && src.shape.size() == 1) {
    std::vector<float> tmp(out.f32(), out.f32() + cols);
    for (int64_t i = 0; i < cols; ++i) out.f32()[i] = tmp[LlamaGgufRowOfHfRow(i, head_dim)];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

Status AddTokenizer(GgufWriter& w, const TokenizerSpec& t, const ModelConfig& c) {
  const bool spm = t.kind == TokenizerSpec::Kind::kSentencePieceBpe;
  const size_t n = t.tokens.size(), vocab = static_cast<size_t>(c.vocab_size);
  if (n > vocab) {
    return InvalidArgument("the tokenizer has " + std::to_string(n) +
                           " tokens but the model's vocab_size is " + std::to_string(vocab));
  }
  if ((!t.types.empty() && t.types.size() != n) || (!t.scores.empty() && t.scores.size() != n)) {
    return InvalidArgument("tokenizer token types or scores do not match its token count");
  }
  std::string pre = t.pre;
  if (pre.empty()) pre = spm ? "default" : c.arch == Arch::kLlama ? "llama-bpe" : "qwen2";
  // llama.cpp requires one token per embedding row: pad as convert_hf_to_gguf does.
  std::vector<std::string> tokens = t.tokens;
  std::vector<int32_t> types(vocab, static_cast<int32_t>(TokenType::kUnused));
  for (size_t i = 0; i < n; ++i) {
    types[i] = static_cast<int32_t>(t.types.empty() ? TokenType::kNormal : t.types[i]);
  }
  for (size_t i = n; i < vocab; ++i) tokens.push_back("[PAD" + std::to_string(i) + "]");
  w.Set("tokenizer.ggml.model", GgufValue::String(spm ? "llama" : "gpt2"));
  w.Set("tokenizer.ggml.pre", GgufValue::String(pre));
  w.Set("tokenizer.ggml.tokens", GgufValue::StringArray(std::move(tokens)));
  w.Set("tokenizer.ggml.token_type", GgufValue::I32Array(types));
  if (!t.scores.empty()) {
    std::vector<float> scores = t.scores;
    scores.resize(vocab, kPadTokenScore);
    w.Set("tokenizer.ggml.scores", GgufValue::F32Array(scores));
  }
  if (!spm || !t.merges.empty()) w.Set("tokenizer.ggml.merges", GgufValue::StringArray(t.merges));
  auto set_id = [&](const char* key, int32_t id) {
    if (id >= 0) w.Set(key, GgufValue::U32(static_cast<uint32_t>(id)));
  };
  set_id("tokenizer.ggml.bos_token_id", t.bos_id);
  set_id("tokenizer.ggml.eos_token_id", t.eos_id);
  set_id("tokenizer.ggml.unknown_token_id", t.unk_id);
  set_id("tokenizer.ggml.padding_token_id", t.pad_id);
  w.Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(t.add_bos));
  w.Set("tokenizer.ggml.add_eos_token", GgufValue::Bool(t.add_eos));
  if (spm) w.Set("tokenizer.ggml.add_space_prefix", GgufValue::Bool(t.add_space_prefix));
  if (!t.chat_template.empty()) {
    w.Set("tokenizer.chat_template", GgufValue::String(t.chat_template));
  }
  return Status::Ok();
}

// Rows of `src` in `dst` type, rows (or, for 1-D tensors, elements) permuted when asked.
GgufWriter::RowFn RowWriter(const TensorView& src, DType dst, bool permute, int64_t head_dim) {
  const int64_t cols = src.cols();
  auto scratch = std::make_shared<std::vector<float>>(static_cast<size_t>(cols));
  return [src, dst, permute, head_dim, cols, scratch](int64_t r, std::byte* out) -> Status {
    const bool vector = src.shape.size() == 1;
    const int64_t from = permute && !vector ? LlamaHfRowOfGgufRow(r, head_dim) : r;
    if (src.dtype == dst && !(permute && vector)) {
      std::memcpy(out, src.Row(from), static_cast<size_t>(RowBytes(dst, cols)));
      return Status::Ok();
    }
    float* x = scratch->data();
    DequantizeRow(src.dtype, src.Row(from), x, cols);
    if (permute && vector) {
      const std::vector<float> hf(x, x + cols);
      for (int64_t i = 0; i < cols; ++i) x[i] = hf[LlamaHfRowOfGgufRow(i, head_dim)];
    }
    QuantizeRowReference(dst, x, out, cols);
    return Status::Ok();
  };
}

std::string DefaultName(const Model& model) {
  std::filesystem::path p(model.source_path);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();  // "folder/" -> "folder"
  const std::string stem = p.stem().string();
  return stem.empty() ? "lieq model" : stem;
}

}  // namespace

int64_t LlamaHfRowOfGgufRow(int64_t gguf_row, int64_t head_dim) {
  const int64_t head = gguf_row / head_dim, g = gguf_row % head_dim;
  return head * head_dim + (g % 2) * (head_dim / 2) + g / 2;
}

int64_t LlamaGgufRowOfHfRow(int64_t hf_row, int64_t head_dim) {
  const int64_t head = hf_row / head_dim, l = hf_row % head_dim, half = head_dim / 2;
  return head * head_dim + 2 * (l % half) + l / half;
}

uint32_t GgufFileType(DType type) {
  switch (type) {
    case DType::kF32:
      return 0;  // ALL_F32
    case DType::kF16:
      return 1;  // MOSTLY_F16
    case DType::kQ4_0:
      return 2;  // MOSTLY_Q4_0
    case DType::kQ4_1:
      return 3;  // MOSTLY_Q4_1
    case DType::kQ8_0:
      return 7;  // MOSTLY_Q8_0
    case DType::kQ2_K:
      return 10;  // MOSTLY_Q2_K
    case DType::kQ3_K:
      return 11;  // MOSTLY_Q3_K_S (all Q3_K)
    case DType::kQ4_K:
      return 14;  // MOSTLY_Q4_K_S
    case DType::kQ5_K:
      return 16;  // MOSTLY_Q5_K_S
    case DType::kQ6_K:
      return 18;  // MOSTLY_Q6_K
    case DType::kBF16:
      return 32;  // MOSTLY_BF16
  }
  return 0;
}

Result<TokenizerSpec> TokenizerSpecFromGguf(const GgufFile& f) {
  const std::string& path = f.path();
  LIEQ_ASSIGN_OR_RETURN(std::string model, f.GetString("tokenizer.ggml.model"));
  TokenizerSpec t;
  if (model == "gpt2") {
    t.kind = TokenizerSpec::Kind::kByteLevelBpe;
  } else if (model == "llama") {
    t.kind = TokenizerSpec::Kind::kSentencePieceBpe;
  } else {
    return Unimplemented(path + ": tokenizer.ggml.model '" + model +
                         "' is not supported (gpt2, llama are)");
  }
  t.pre = "default";
  if (f.Has("tokenizer.ggml.pre")) {
    LIEQ_ASSIGN_OR_RETURN(t.pre, f.GetString("tokenizer.ggml.pre"));
  }
  LIEQ_ASSIGN_OR_RETURN(t.tokens, f.GetStringArray("tokenizer.ggml.tokens"));
  const size_t n = t.tokens.size();
  if (f.Has("tokenizer.ggml.token_type")) {
    LIEQ_ASSIGN_OR_RETURN(std::vector<int64_t> types, f.GetIntArray("tokenizer.ggml.token_type"));
    if (types.size() != n) {
      return InvalidArgument(path + ": tokenizer.ggml.token_type has " +
                             std::to_string(types.size()) + " entries for " + std::to_string(n) +
                             " tokens");
    }
    for (int64_t v : types) {
      if (v < 0 || v > static_cast<int64_t>(TokenType::kByte)) {
        return InvalidArgument(path + ": tokenizer.ggml.token_type has unknown type " +
                               std::to_string(v));
      }
      t.types.push_back(static_cast<TokenType>(v));
    }
  } else {
    t.types.assign(n, TokenType::kNormal);
  }
  if (f.Has("tokenizer.ggml.scores")) {
    LIEQ_ASSIGN_OR_RETURN(std::vector<double> scores, f.GetFloatArray("tokenizer.ggml.scores"));
    if (scores.size() != n) {
      return InvalidArgument(path + ": tokenizer.ggml.scores has " + std::to_string(scores.size()) +
                             " entries for " + std::to_string(n) + " tokens");
    }
    t.scores.assign(scores.begin(), scores.end());
  }
  if (f.Has("tokenizer.ggml.merges")) {
    LIEQ_ASSIGN_OR_RETURN(t.merges, f.GetStringArray("tokenizer.ggml.merges"));
  }
  for (auto [key, id] : {std::pair{"tokenizer.ggml.bos_token_id", &t.bos_id},
                         std::pair{"tokenizer.ggml.eos_token_id", &t.eos_id},
                         std::pair{"tokenizer.ggml.unknown_token_id", &t.unk_id},
                         std::pair{"tokenizer.ggml.padding_token_id", &t.pad_id}}) {
    if (!f.Has(key)) continue;
    LIEQ_ASSIGN_OR_RETURN(int64_t v, f.GetInt(key));
    if (v < 0 || static_cast<uint64_t>(v) >= n) {
      return InvalidArgument(path + ": " + key + " " + std::to_string(v) + " is not a token id (" +
                             std::to_string(n) + " tokens)");
    }
    *id = static_cast<int32_t>(v);
  }
  // Without the keys, llama.cpp adds BOS for SentencePiece and Llama-3's pre-tokenizer only.
  t.add_bos = t.kind == TokenizerSpec::Kind::kSentencePieceBpe || t.pre == "llama-bpe" ||
              t.pre == "llama3" || t.pre == "llama-v3";
  if (f.Has("tokenizer.ggml.add_bos_token")) {
    LIEQ_ASSIGN_OR_RETURN(t.add_bos, f.GetBool("tokenizer.ggml.add_bos_token"));
  }
  if (f.Has("tokenizer.ggml.add_eos_token")) {
    LIEQ_ASSIGN_OR_RETURN(t.add_eos, f.GetBool("tokenizer.ggml.add_eos_token"));
  }
  if (f.Has("tokenizer.ggml.add_space_prefix")) {
    LIEQ_ASSIGN_OR_RETURN(t.add_space_prefix, f.GetBool("tokenizer.ggml.add_space_prefix"));
  }
  if (f.Has("tokenizer.chat_template")) {
    LIEQ_ASSIGN_OR_RETURN(t.chat_template, f.GetString("tokenizer.chat_template"));
  }
  // Qwen's tokenizer.json NFC-normalises its input; GGUF has no key for it, the pre-tokenizer
  // name identifies the family.
  t.nfc = t.pre == "qwen2";
  return t;
}

Result<Model> LoadGgufModel(const std::string& path) {
  LIEQ_ASSIGN_OR_RETURN(GgufFile file, GgufFile::Open(path));
  Model model;
  model.source_path = path;
  model.source_format = "gguf";
  LIEQ_ASSIGN_OR_RETURN(model.config, ConfigFromGguf(file));
  const ModelConfig& c = model.config;

  std::unique_ptr<ThreadPool> pool;  // made on first use: F32/F16/BF16 files need none
  std::vector<std::string> missing;
  Status status;
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    if (!status.ok()) return;
    const GgufTensorInfo* info = file.FindTensor(slot.gguf_name);
    if (info == nullptr) {
      missing.push_back(slot.gguf_name);
      return;
    }
    if (info->shape != slot.shape) {
      status = InvalidArgument(path + ": tensor '" + slot.gguf_name + "' has shape " +
                               ShapeToString(info->shape) + " but the metadata implies " +
                               ShapeToString(slot.shape));
      return;
    }
    const TensorView view = file.View(*info);
    const bool permute = IsLlamaPermuted(c.arch, slot.gguf_name);
    // Matrices keep their dtype, block types included (MatMul computes from the packed blocks),
    // and point into the mapped file unless Llama's q/k rows must be reordered.
    const bool in_place = !slot.is_vector && !permute;
    if (in_place) {
      *slot.view = view;
      return;
    }
    if (!pool) pool = std::make_unique<ThreadPool>(DefaultThreadCount());
    const bool keep_dtype = !slot.is_vector;
    Result<OwnedTensor> converted =
        ConvertTensor(view, permute, keep_dtype, c.head_dim, *pool, slot.gguf_name);
    if (!converted.ok()) {
      status = converted.status().WithContext(path);
      return;
    }
    *slot.view = model.Adopt(std::move(converted).value());
  });
  LIEQ_RETURN_IF_ERROR(status);
  if (!missing.empty()) {
    std::string list;
    constexpr size_t kMaxListed = 8;  // keeps the message readable for a badly broken file
    for (size_t i = 0; i < std::min(missing.size(), kMaxListed); ++i) {
      list += (i ? ", " : "") + missing[i];
    }
    if (missing.size() > kMaxListed) {
      list += ", ... (" + std::to_string(missing.size()) + " in all)";
    }
    return NotFound(path + ": missing tensors: " + list);
  }
  if (c.tie_word_embeddings) model.weights.lm_head = model.weights.embed;

  if (file.Has("tokenizer.ggml.model")) {
    LIEQ_ASSIGN_OR_RETURN(std::string kind, file.GetString("tokenizer.ggml.model"));
    if (kind != "none" && kind != "no_vocab") {
      LIEQ_ASSIGN_OR_RETURN(TokenizerSpec spec, TokenizerSpecFromGguf(file));
      if (static_cast<int64_t>(spec.tokens.size()) > c.vocab_size) {
        return InvalidArgument(path + ": " + std::to_string(spec.tokens.size()) +
                               " tokens do not fit the model's vocab_size " +
                               std::to_string(c.vocab_size));
      }
      model.tokenizer = std::move(spec);
    }
  }
  model.files.push_back(file.file());
  return model;
}

Status WriteGgufModel(const Model& model, const std::string& path,
                      const GgufWriteOptions& options) {
  const ModelConfig& c = model.config;
  Status valid = c.Validate();
  if (!valid.ok()) return valid.WithContext(path);
  LIEQ_RETURN_IF_ERROR(CheckOutputWritable(path, options.write));
  ModelWeights weights = model.weights;  // TensorSlots needs a mutable copy; views are cheap
  std::vector<TensorSlot> slots = TensorSlots(c, weights);

  const std::string arch(ArchGgufName(c.arch));
  const std::string p = arch + ".";
  const DType main_type = options.tensor_type.value_or(weights.blocks.at(0).q.w.dtype);
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String(arch));
  w.Set("general.name",
        GgufValue::String(options.name.empty() ? DefaultName(model) : options.name));
  w.Set("general.file_type", GgufValue::U32(GgufFileType(main_type)));
  w.Set("general.quantization_version", GgufValue::U32(kQuantizationVersion));
  auto u32 = [](int64_t v) { return GgufValue::U32(static_cast<uint32_t>(v)); };
  w.Set(p + "vocab_size", u32(c.vocab_size));
  w.Set(p + "context_length",
        u32(c.max_position_embeddings > 0 ? c.max_position_embeddings : kDefaultContextLength));
  w.Set(p + "embedding_length", u32(c.hidden_size));
  w.Set(p + "feed_forward_length", u32(c.intermediate_size));
  w.Set(p + "block_count", u32(c.num_layers));
  w.Set(p + "attention.head_count", u32(c.num_heads));
  w.Set(p + "attention.head_count_kv", u32(c.num_kv_heads));
  w.Set(p + "attention.key_length", u32(c.head_dim));
  w.Set(p + "attention.value_length", u32(c.head_dim));
  w.Set(p + "rope.dimension_count", u32(c.head_dim));
  w.Set(p + "rope.freq_base", GgufValue::F32(static_cast<float>(c.rope_theta)));
  w.Set(p + "attention.layer_norm_rms_epsilon", GgufValue::F32(static_cast<float>(c.rms_norm_eps)));

  // Frequency divisors: all equal is linear scaling, which every architecture reads from
  // metadata; others (Llama-3) go in rope_freqs.weight, which llama.cpp reads for llama only.
  const std::vector<float>& ff = c.rope_freq_factors;
  const bool uniform =
      !ff.empty() && std::all_of(ff.begin(), ff.end(), [&](float v) { return v == ff[0]; });
  const bool write_rope_freqs = !ff.empty() && !uniform;
  if (uniform && ff[0] != 1.0f) {
    w.Set(p + "rope.scaling.type", GgufValue::String("linear"));
    w.Set(p + "rope.scaling.factor", GgufValue::F32(ff[0]));
  }
  if (write_rope_freqs && c.arch != Arch::kLlama) {
    return Unimplemented(path + ": per-frequency rope factors cannot be stored for " + arch +
                         " (llama.cpp reads rope_freqs.weight for llama only)");
  }

  if (model.tokenizer) {
    Status s = AddTokenizer(w, *model.tokenizer, c);
    if (!s.ok()) return s.WithContext(path);
  } else {
    w.Set("tokenizer.ggml.model", GgufValue::String("none"));  // llama.cpp's "no vocabulary"
  }

  for (TensorSlot& slot : slots) {
    const TensorView& src = *slot.view;
    if (src.data == nullptr) {
      return InvalidArgument(path + ": model has no tensor for '" + slot.gguf_name + "'");
    }
    if (src.shape != slot.shape) {
      return InvalidArgument(path + ": tensor '" + slot.gguf_name + "' has shape " +
                             ShapeToString(src.shape) + " but the config implies " +
                             ShapeToString(slot.shape));
    }
    const DType type = slot.is_vector ? DType::kF32 : options.tensor_type.value_or(src.dtype);
    const bool permute = IsLlamaPermuted(c.arch, slot.gguf_name);
    Status s =
        w.AddTensor(slot.gguf_name, type, src.shape, RowWriter(src, type, permute, c.head_dim));
    if (!s.ok()) return s.WithContext(path);
    if (write_rope_freqs && slot.view == &weights.embed) {
      const TensorView freqs{DType::kF32,
                             {static_cast<int64_t>(ff.size())},
                             reinterpret_cast<const std::byte*>(ff.data())};
      LIEQ_RETURN_IF_ERROR(w.AddTensor("rope_freqs.weight", freqs));
    }
  }
  return w.Write(path, options.write);
}

}  // namespace lieq
