// WriteGgufModel -> LoadGgufModel round trips for llama, qwen2 and qwen3 models, the Llama
// q/k permutation, rope factors, tensor type conversion and quantized files, plus the errors
// of broken model files.
#include "io/gguf_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/half.h"
#include "core/rng.h"
#include "io/gguf_reader.h"
#include "io/gguf_writer.h"
#include "kernels/dequantize.h"
#include "test_util.h"

namespace lieq {
namespace {

// Tiny shapes; qwen3's head_dim differs from hidden/heads to exercise attention.key_length.
ModelConfig TinyConfig(Arch arch, int64_t hidden = 32, int64_t ff = 64) {
  ModelConfig c;
  c.arch = arch;
  c.vocab_size = 40;
  c.hidden_size = hidden;
  c.intermediate_size = ff;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = arch == Arch::kQwen3 ? hidden / 2 : hidden / 4;
  c.max_position_embeddings = 256;
  c.rope_theta = arch == Arch::kLlama ? 500000.0 : 1000000.0;
  c.rms_norm_eps = arch == Arch::kLlama ? 1e-5 : 1e-6;
  c.tie_word_embeddings = arch != Arch::kLlama;
  c.qkv_bias = arch == Arch::kQwen2;
  c.qk_norm = arch == Arch::kQwen3;
  c.bos_token_id = 1;
  c.eos_token_id = 2;
  return c;
}

TokenizerSpec TinyTokenizer() {
  TokenizerSpec t;
  t.kind = TokenizerSpec::Kind::kByteLevelBpe;
  t.pre = "qwen2";
  t.tokens = {"a", "<s>", "</s>", "b", "ab", "Ġthe"};
  t.types = {TokenType::kNormal, TokenType::kControl, TokenType::kControl,
             TokenType::kNormal, TokenType::kNormal,  TokenType::kNormal};
  t.merges = {"a b"};
  t.bos_id = 1;
  t.eos_id = 2;
  t.pad_id = 2;
  t.add_bos = false;
  t.chat_template = "{{ messages }}";
  return t;
}

// Random weights: linear layers and embeddings in `dtype`, norms and biases F32.
Model RandomModel(const ModelConfig& config, DType dtype = DType::kF32, uint64_t seed = 1) {
  Model model;
  model.config = config;
  model.source_path = "/models/tiny-model/";
  Rng rng(seed);
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    const DType type = slot.is_vector ? DType::kF32 : dtype;
    OwnedTensor t = OwnedTensor::Zeros(type, slot.shape);
    const int64_t n = t.view().NumElements();
    for (int64_t i = 0; i < n; ++i) {
      const auto v = static_cast<float>(0.05 * rng.Normal() + (slot.is_vector ? 1.0 : 0.0));
      if (type == DType::kF32) t.f32()[i] = v;
      if (type == DType::kBF16) t.buffer.As<uint16_t>()[i] = F32ToBf16(v);
      if (type == DType::kF16) t.buffer.As<uint16_t>()[i] = F32ToF16(v);
    }
    *slot.view = model.Adopt(std::move(t));
  });
  if (config.tie_word_embeddings) model.weights.lm_head = model.weights.embed;
  model.tokenizer = TinyTokenizer();
  return model;
}

std::vector<float> ToFloats(const TensorView& v) {
  std::vector<float> out(static_cast<size_t>(v.NumElements()));
  for (int64_t r = 0; r < v.rows(); ++r) {
    DequantizeRow(v.dtype, v.Row(r), out.data() + r * v.cols(), v.cols());
  }
  return out;
}

// All tensors of `b` against `a`, as floats, to within `tolerance` (0: bitwise).
void ExpectSameWeights(Model& a, Model& b, double tolerance) {
  std::vector<TensorSlot> sa = TensorSlots(a.config, a.weights);
  std::vector<TensorSlot> sb = TensorSlots(b.config, b.weights);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    ASSERT_EQ(sa[i].view->shape, sb[i].view->shape) << sa[i].gguf_name;
    const std::vector<float> x = ToFloats(*sa[i].view), y = ToFloats(*sb[i].view);
    double worst = 0;
    for (size_t k = 0; k < x.size(); ++k) worst = std::max(worst, double{std::fabs(x[k] - y[k])});
    EXPECT_LE(worst, tolerance) << sa[i].gguf_name;
  }
}

std::string TempPath(const std::string& name = "m.gguf") { return testing::TempDir() + "/" + name; }

class GgufModelArchTest : public ::testing::TestWithParam<Arch> {};

TEST_P(GgufModelArchTest, RoundTripsConfigWeightsAndTokenizer) {
  Model model = RandomModel(TinyConfig(GetParam()));
  const std::string path = TempPath();
  ASSERT_TRUE(WriteGgufModel(model, path, {}).ok());
  Result<Model> loaded = LoadGgufModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const ModelConfig &a = model.config, &b = loaded->config;
  EXPECT_EQ(b.arch, a.arch);
  EXPECT_EQ(b.vocab_size, a.vocab_size);
  EXPECT_EQ(b.hidden_size, a.hidden_size);
  EXPECT_EQ(b.intermediate_size, a.intermediate_size);
  EXPECT_EQ(b.num_layers, a.num_layers);
  EXPECT_EQ(b.num_heads, a.num_heads);
  EXPECT_EQ(b.num_kv_heads, a.num_kv_heads);
  EXPECT_EQ(b.head_dim, a.head_dim);
  EXPECT_EQ(b.max_position_embeddings, a.max_position_embeddings);
  EXPECT_EQ(b.rope_theta, a.rope_theta);
  EXPECT_FLOAT_EQ(static_cast<float>(b.rms_norm_eps), static_cast<float>(a.rms_norm_eps));
  EXPECT_EQ(b.tie_word_embeddings, a.tie_word_embeddings);
  EXPECT_EQ(b.qkv_bias, a.qkv_bias);
  EXPECT_EQ(b.qk_norm, a.qk_norm);
  EXPECT_EQ(b.bos_token_id, 1);
  EXPECT_EQ(b.eos_token_id, 2);
  EXPECT_TRUE(b.rope_freq_factors.empty());
  EXPECT_EQ(loaded->source_format, "gguf");
  ExpectSameWeights(model, *loaded, 0.0);
  if (a.tie_word_embeddings) {
    EXPECT_EQ(loaded->weights.lm_head.data, loaded->weights.embed.data);
  }

  ASSERT_TRUE(loaded->tokenizer.has_value());
  const TokenizerSpec &t = *model.tokenizer, &u = *loaded->tokenizer;
  ASSERT_EQ(u.tokens.size(), static_cast<size_t>(a.vocab_size));  // padded to the embedding
  EXPECT_TRUE(std::equal(t.tokens.begin(), t.tokens.end(), u.tokens.begin()));
  EXPECT_EQ(u.tokens[6], "[PAD6]");
  EXPECT_EQ(u.types[1], TokenType::kControl);
  EXPECT_EQ(u.types[6], TokenType::kUnused);
  EXPECT_EQ(u.kind, t.kind);
  EXPECT_EQ(u.pre, "qwen2");
  EXPECT_EQ(u.merges, t.merges);
  EXPECT_EQ(u.bos_id, 1);
  EXPECT_EQ(u.eos_id, 2);
  EXPECT_EQ(u.pad_id, 2);
  EXPECT_EQ(u.unk_id, -1);
  EXPECT_FALSE(u.add_bos);
  EXPECT_EQ(u.chat_template, t.chat_template);
  EXPECT_TRUE(u.nfc);
}

// The keys and names stock llama.cpp requires to load the file.
TEST_P(GgufModelArchTest, WritesTheKeysLlamaCppNeeds) {
  Model model = RandomModel(TinyConfig(GetParam()), DType::kBF16);
  const std::string path = TempPath();
  ASSERT_TRUE(WriteGgufModel(model, path, {}).ok());
  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok());
  const std::string arch(ArchGgufName(GetParam()));
  EXPECT_EQ(*f->GetString("general.architecture"), arch);
  EXPECT_EQ(*f->GetString("general.name"), "tiny-model");
  EXPECT_EQ(*f->GetU32("general.file_type"), 32u);  // MOSTLY_BF16
  for (const char* key :
       {"vocab_size", "context_length", "embedding_length", "feed_forward_length", "block_count",
        "attention.head_count", "attention.head_count_kv", "attention.key_length",
        "attention.value_length", "rope.dimension_count"}) {
    EXPECT_EQ(f->Find(arch + "." + key)->type(), GgufType::kUint32) << key;
  }
  EXPECT_EQ(f->Find(arch + ".rope.freq_base")->type(), GgufType::kFloat32);
  EXPECT_EQ(f->Find(arch + ".attention.layer_norm_rms_epsilon")->type(), GgufType::kFloat32);
  EXPECT_EQ(*f->GetString("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(f->FindTensor("token_embd.weight")->dtype, DType::kBF16);
  EXPECT_EQ(f->FindTensor("blk.1.ffn_down.weight")->dtype, DType::kBF16);
  EXPECT_EQ(f->FindTensor("output_norm.weight")->dtype, DType::kF32);
  EXPECT_EQ(f->FindTensor("output.weight") == nullptr, model.config.tie_word_embeddings);
  EXPECT_EQ(f->FindTensor("blk.0.attn_q.bias") != nullptr, GetParam() == Arch::kQwen2);
  EXPECT_EQ(f->FindTensor("blk.0.attn_k_norm.weight") != nullptr, GetParam() == Arch::kQwen3);
}

INSTANTIATE_TEST_SUITE_P(Archs, GgufModelArchTest,
                         ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kQwen3),
                         [](const auto& info) { return std::string(ArchGgufName(info.param)); });

TEST(GgufModel, LlamaPermutationByHand) {
  // head_dim 8: GGUF rows of one head hold HF rows 0, 4, 1, 5, 2, 6, 3, 7 (pairs (i, i + 4)
  // of rotate-half become adjacent for interleaved RoPE).
  const int64_t expected[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  for (int64_t r = 0; r < 8; ++r) {
    EXPECT_EQ(LlamaHfRowOfGgufRow(r, 8), expected[r]);
    EXPECT_EQ(LlamaHfRowOfGgufRow(16 + r, 8), 16 + expected[r]);  // third head
  }
  for (int64_t hd : {2, 4, 64, 128}) {
    for (int64_t r = 0; r < 3 * hd; ++r) {
      EXPECT_EQ(LlamaGgufRowOfHfRow(LlamaHfRowOfGgufRow(r, hd), hd), r);
      EXPECT_EQ(LlamaHfRowOfGgufRow(LlamaGgufRowOfHfRow(r, hd), hd), r);
    }
  }
}

TEST(GgufModel, LlamaQkStoredPermutedAndLoadedBack) {
  ModelConfig c = TinyConfig(Arch::kLlama);
  c.qkv_bias = true;  // Llama with attention_bias: biases are permuted too
  c.o_bias = true;
  Model model = RandomModel(c, DType::kF16);
  const std::string path = TempPath();
  ASSERT_TRUE(WriteGgufModel(model, path, {}).ok());
  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok());
  const int64_t hd = c.head_dim, d = c.hidden_size;
  const TensorView hf_k = model.weights.blocks[1].k.w;
  const TensorView gg_k = *f->Tensor("blk.1.attn_k.weight");
  for (int64_t r = 0; r < c.kv_dim(); ++r) {
    EXPECT_EQ(std::memcmp(gg_k.Row(r), hf_k.Row(LlamaHfRowOfGgufRow(r, hd)), 2 * d), 0) << r;
  }
  const TensorView gg_qb = *f->Tensor("blk.0.attn_q.bias");
  const std::span<const float> hf_qb = model.weights.blocks[0].q.bias.F32();
  for (int64_t i = 0; i < c.q_dim(); ++i) {
    EXPECT_EQ(gg_qb.F32()[i], hf_qb[LlamaHfRowOfGgufRow(i, hd)]);
  }
  // v and o are not permuted.
  EXPECT_EQ(std::memcmp(f->Tensor("blk.0.attn_v.weight")->data, model.weights.blocks[0].v.w.data,
                        2 * c.kv_dim() * d),
            0);

  Result<Model> loaded = LoadGgufModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->config.o_bias);
  ExpectSameWeights(model, *loaded, 0.0);
  // Un-permuted q/k are owned copies in their own dtype; the rest is used in place.
  const std::byte* map_begin = loaded->files[0]->data();
  const std::byte* map_end = map_begin + loaded->files[0]->size();
  auto in_map = [&](const TensorView& v) { return v.data >= map_begin && v.data < map_end; };
  EXPECT_EQ(loaded->weights.blocks[0].q.w.dtype, DType::kF16);
  EXPECT_FALSE(in_map(loaded->weights.blocks[0].q.w));
  EXPECT_TRUE(in_map(loaded->weights.blocks[0].v.w));
  EXPECT_TRUE(in_map(loaded->weights.embed));
  EXPECT_FALSE(in_map(loaded->weights.blocks[0].attn_norm));  // vectors are F32 copies
}

TEST(GgufModel, ConvertsToRequestedTypes) {
  Model model = RandomModel(TinyConfig(Arch::kQwen2));
  const std::string path = TempPath();
  GgufWriteOptions options;
  options.tensor_type = DType::kF16;
  options.name = "custom";
  ASSERT_TRUE(WriteGgufModel(model, path, options).ok());
  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f->GetString("general.name"), "custom");
  EXPECT_EQ(*f->GetU32("general.file_type"), 1u);
  EXPECT_EQ(f->FindTensor("blk.0.attn_q.weight")->dtype, DType::kF16);
  EXPECT_EQ(f->FindTensor("blk.0.attn_q.bias")->dtype, DType::kF32);
  Result<Model> loaded = LoadGgufModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  // |w| < 0.5 here, where fp16's spacing is at most 2^-12: round-to-nearest errs by half that.
  constexpr double kF16Tolerance = 0x1p-13;
  ExpectSameWeights(model, *loaded, kF16Tolerance);
}

// Quantized files: matrices keep their block type at load (the engine computes from the packed
// blocks; Llama q/k rows are reordered), norms become F32.
TEST(GgufModel, QuantizedFilesLoadPacked) {
  for (Arch arch : {Arch::kLlama, Arch::kQwen3}) {
    for (DType type : {DType::kQ8_0, DType::kQ4_K, DType::kQ6_K}) {
      const ModelConfig c = TinyConfig(arch, 256, 512);
      Model model = RandomModel(c);
      const std::string path = TempPath();
      GgufWriteOptions options;
      options.tensor_type = type;
      options.write.overwrite = true;
      ASSERT_TRUE(WriteGgufModel(model, path, options).ok()) << Name(type);
      Result<Model> loaded = LoadGgufModel(path);
      ASSERT_TRUE(loaded.ok()) << loaded.status().message();
      EXPECT_EQ(loaded->weights.blocks[0].q.w.dtype, type);
      EXPECT_EQ(loaded->weights.embed.dtype, type);
      // Weights are 0.05 * N(0, 1): Q4_K's 16 levels over a ~0.35 range of 32 values err by
      // at most about half a step plus scale rounding, well under 0.03.
      constexpr double kQuantTolerance = 0.03;
      ExpectSameWeights(model, *loaded, kQuantTolerance);
      // Exactly the decoded file bytes, in HF row order.
      Result<GgufFile> f = GgufFile::Open(path);
      const TensorView gq = *f->Tensor("blk.1.attn_q.weight");
      std::vector<float> row(static_cast<size_t>(c.hidden_size));
      const int64_t r = 5;
      const int64_t g = arch == Arch::kLlama ? LlamaGgufRowOfHfRow(r, c.head_dim) : r;
      DequantizeRow(type, gq.Row(g), row.data(), c.hidden_size);
      std::vector<float> loaded_row(row.size());
      const TensorView& lq = loaded->weights.blocks[1].q.w;
      DequantizeRow(type, lq.Row(r), loaded_row.data(), c.hidden_size);
      EXPECT_EQ(row, loaded_row) << Name(type);
    }
  }
}

TEST(GgufModel, RopeFactorsRoundTrip) {
  // Llama-3 style per-frequency divisors travel as rope_freqs.weight.
  ModelConfig c = TinyConfig(Arch::kLlama);
  c.rope_freq_factors = {1.0f, 1.5f, 4.0f, 8.0f};  // head_dim 8 -> 4 entries
  Model llama = RandomModel(c);
  const std::string path = TempPath();
  ASSERT_TRUE(WriteGgufModel(llama, path, {}).ok());
  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_NE(f->FindTensor("rope_freqs.weight"), nullptr);
  EXPECT_EQ(f->FindTensor("rope_freqs.weight")->shape, (Shape{4}));
  Result<Model> loaded = LoadGgufModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->config.rope_freq_factors, c.rope_freq_factors);

  // Uniform divisors are linear scaling, stored as metadata for any architecture.
  ModelConfig q = TinyConfig(Arch::kQwen3);
  q.rope_freq_factors.assign(static_cast<size_t>(q.head_dim / 2), 4.0f);
  Model qwen = RandomModel(q);
  const std::string qpath = TempPath("q.gguf");
  ASSERT_TRUE(WriteGgufModel(qwen, qpath, {}).ok());
  Result<GgufFile> qf = GgufFile::Open(qpath);
  EXPECT_EQ(*qf->GetString("qwen3.rope.scaling.type"), "linear");
  EXPECT_EQ(*qf->GetFloat("qwen3.rope.scaling.factor"), 4.0);
  EXPECT_EQ(qf->FindTensor("rope_freqs.weight"), nullptr);
  Result<Model> qloaded = LoadGgufModel(qpath);
  ASSERT_TRUE(qloaded.ok()) << qloaded.status().message();
  EXPECT_EQ(qloaded->config.rope_freq_factors, q.rope_freq_factors);
  EXPECT_EQ(qloaded->config.rope_scaling.type, RopeScaling::Type::kLinear);

  // Non-uniform divisors cannot be stored for qwen (llama.cpp would not read them).
  q.rope_freq_factors[0] = 1.0f;
  Model bad = RandomModel(q);
  EXPECT_EQ(WriteGgufModel(bad, TempPath("bad.gguf"), {}).code(), StatusCode::kUnimplemented);
}

// Copies a GGUF file, optionally dropping or reshaping one tensor and overriding one key.
void CopyGguf(const std::string& from, const std::string& to, const std::string& drop,
              const std::string& key = "", GgufValue value = {}) {
  Result<GgufFile> f = GgufFile::Open(from);
  ASSERT_TRUE(f.ok());
  GgufWriter w;
  for (const auto& [k, v] : f->metadata()) w.Set(k, v);
  if (!key.empty()) w.Set(key, std::move(value));
  for (const GgufTensorInfo& t : f->tensors()) {
    if (t.name == drop) continue;
    ASSERT_TRUE(w.AddTensor(t.name, f->View(t)).ok());
  }
  ASSERT_TRUE(w.Write(to, {.overwrite = true}).ok());
}

TEST(GgufModel, BrokenModelFilesAreClearErrors) {
  Model model = RandomModel(TinyConfig(Arch::kQwen3));
  const std::string good = TempPath(), bad = TempPath("bad.gguf");
  ASSERT_TRUE(WriteGgufModel(model, good, {}).ok());

  CopyGguf(good, bad, "blk.1.ffn_up.weight");
  Result<Model> missing = LoadGgufModel(bad);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("blk.1.ffn_up.weight"), std::string::npos);
  EXPECT_NE(missing.status().message().find(bad), std::string::npos);

  CopyGguf(good, bad, "", "qwen3.feed_forward_length", GgufValue::U32(65));
  Result<Model> shape = LoadGgufModel(bad);
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.status().message().find("shape"), std::string::npos);

  CopyGguf(good, bad, "", "qwen3.block_count", GgufValue::U32(1000000));
  Result<Model> blocks = LoadGgufModel(bad);
  ASSERT_FALSE(blocks.ok());
  EXPECT_NE(blocks.status().message().find("block_count"), std::string::npos);

  CopyGguf(good, bad, "", "general.architecture", GgufValue::String("gpt2"));
  EXPECT_EQ(LoadGgufModel(bad).status().code(), StatusCode::kUnimplemented);

  CopyGguf(good, bad, "", "qwen3.embedding_length", GgufValue::String("32"));
  Result<Model> type = LoadGgufModel(bad);
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("qwen3.embedding_length"), std::string::npos);

  CopyGguf(good, bad, "", "tokenizer.ggml.token_type", GgufValue::I32Array({1, 1}));
  EXPECT_FALSE(LoadGgufModel(bad).ok());
  CopyGguf(good, bad, "", "tokenizer.ggml.eos_token_id", GgufValue::U32(4000));
  Result<Model> eos = LoadGgufModel(bad);
  ASSERT_FALSE(eos.ok());
  EXPECT_NE(eos.status().message().find("eos_token_id"), std::string::npos);
}

TEST(GgufModel, TokenizerFromGgufDefaults) {
  GgufWriter w;
  w.Set("tokenizer.ggml.model", GgufValue::String("llama"));
  w.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"<unk>", "<s>", "▁a"}));
  w.Set("tokenizer.ggml.scores", GgufValue::F32Array({0.0f, 0.0f, -1.5f}));
  const std::string path = TempPath();
  ASSERT_TRUE(w.Write(path, {}).ok());
  Result<GgufFile> f = GgufFile::Open(path);
  Result<TokenizerSpec> t = TokenizerSpecFromGguf(*f);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->kind, TokenizerSpec::Kind::kSentencePieceBpe);
  EXPECT_EQ(t->pre, "default");
  EXPECT_EQ(t->types, std::vector<TokenType>(3, TokenType::kNormal));
  EXPECT_EQ(t->scores, (std::vector<float>{0.0f, 0.0f, -1.5f}));
  EXPECT_TRUE(t->add_bos);  // llama.cpp's default for SentencePiece
  EXPECT_TRUE(t->add_space_prefix);
  EXPECT_FALSE(t->nfc);
}

}  // namespace
}  // namespace lieq
