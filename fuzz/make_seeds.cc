// Writes the seed corpora of the fuzz targets: small valid files made by lieq's own writers.
//   fuzz_make_seeds REPO_ROOT OUT_DIR   (fuzz/run_all.sh --seeds runs it with OUT_DIR=fuzz/corpus)
// The seeds are committed; rerun this after a format change and commit what changes.
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "core/tensor.h"
#include "io/gguf_model.h"
#include "io/gguf_writer.h"
#include "io/hf_config.h"
#include "io/model_loader.h"
#include "io/safetensors.h"
#include "plan/bit_plan.h"
#include "tokenizer/tokenizer_json.h"

namespace fs = std::filesystem;
using namespace lieq;

namespace {

#define CHECK_OK(expr)                                                           \
  do {                                                                           \
    const ::lieq::Status s_ = (expr);                                            \
    if (!s_.ok()) {                                                              \
      std::fprintf(stderr, "make_seeds: %s: %s\n", #expr, s_.message().c_str()); \
      std::exit(1);                                                              \
    }                                                                            \
  } while (0)

uint32_t g_state = 12345;
float NextFloat() {  // deterministic, so reruns write the same seeds
  g_state = g_state * 1664525u + 1013904223u;
  return static_cast<float>(static_cast<int32_t>(g_state >> 8) - (1 << 23)) / (1 << 26);
}

OwnedTensor Random(const Shape& shape, DType dtype = DType::kF32) {
  OwnedTensor f = OwnedTensor::Zeros(DType::kF32, shape);
  for (int64_t i = 0; i < f.view().NumElements(); ++i) f.f32()[i] = NextFloat();
  if (dtype == DType::kF32) return f;
  OwnedTensor t = OwnedTensor::Zeros(dtype, shape);
  for (int64_t i = 0; i < f.view().NumElements(); ++i) {
    const uint32_t bits = std::bit_cast<uint32_t>(f.f32()[i]);
    const uint16_t half = dtype == DType::kBF16 ? static_cast<uint16_t>(bits >> 16)
                                                : static_cast<uint16_t>(0x3c00 + (bits & 0x3ff));
    std::memcpy(t.buffer.data() + 2 * i, &half, 2);
  }
  return t;
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string ReadAll(const fs::path& path) {
  Result<std::string> text = ReadTextFile(path.string());
  CHECK_OK(text.status());
  return *text;
}

WriteOptions Force() {
  WriteOptions o;
  o.overwrite = true;
  return o;
}

// A one-block model of `arch` with random F32 weights (hidden 32 so Q8_0/Q4_0 rows fit).
Model MicroModel(Arch arch, int64_t vocab, bool tie) {
  Model m;
  ModelConfig& c = m.config;
  c.arch = arch;
  c.vocab_size = vocab;
  c.hidden_size = 32;
  c.intermediate_size = 32;
  c.num_layers = 1;
  c.num_heads = 2;
  c.num_kv_heads = 1;
  c.head_dim = 16;
  c.max_position_embeddings = 64;
  c.tie_word_embeddings = tie;
  c.qk_norm = arch == Arch::kQwen3;
  c.qkv_bias = arch == Arch::kQwen2;
  c.bos_token_id = 1;
  c.eos_token_id = 2;
  CHECK_OK(c.Validate());
  ForEachTensor(c, m.weights, [&](TensorSlot& slot) { *slot.view = m.Adopt(Random(slot.shape)); });
  FinishBinding(m);
  return m;
}

void SafetensorsSeeds(const fs::path& dir) {
  const OwnedTensor a = Random({2, 3}), b = Random({4}, DType::kF16),
                    c = Random({2, 2}, DType::kBF16), s = Random({});
  CHECK_OK(WriteSafetensors((dir / "three_dtypes").string(),
                            {{"a.weight", a.view()}, {"b.bias", b.view()}, {"c", c.view()}},
                            {{"format", "pt"}}, Force()));
  CHECK_OK(WriteSafetensors((dir / "scalar").string(), {{"s", s.view()}}, {}, Force()));
  CHECK_OK(WriteSafetensors((dir / "empty").string(), {}, {}, Force()));
  // A whole (micro) checkpoint as LoadHfModel reads it.
  Model m = MicroModel(Arch::kQwen3, 8, true);
  std::vector<NamedTensor> tensors;
  ForEachTensor(m.config, m.weights, [&](TensorSlot& slot) {
    tensors.push_back({slot.hf_name, *slot.view});
  });
  CHECK_OK(WriteSafetensors((dir / "micro_qwen3").string(), tensors, {{"format", "pt"}}, Force()));
}

void GgufSeeds(const fs::path& root, const fs::path& dir) {
  // Every metadata type and a few tensor types.
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String("test"));
  w.Set("u8", GgufValue::U8(7));
  w.Set("i8", GgufValue::I8(-7));
  w.Set("u16", GgufValue::U16(700));
  w.Set("i16", GgufValue::I16(-700));
  w.Set("u32", GgufValue::U32(70000));
  w.Set("i32", GgufValue::I32(-70000));
  w.Set("u64", GgufValue::U64(1ull << 40));
  w.Set("i64", GgufValue::I64(-(1ll << 40)));
  w.Set("f32", GgufValue::F32(0.5f));
  w.Set("f64", GgufValue::F64(0.25));
  w.Set("bool", GgufValue::Bool(true));
  w.Set("strings", GgufValue::StringArray({"a", "bc", ""}));
  w.Set("ints", GgufValue::I32Array({1, -2, 3}));
  w.Set("floats", GgufValue::F32Array({1.5f, -2.5f}));
  w.Set("nested",
        GgufValue::ArrayOfArrays({GgufValue::U32Array({1, 2}), GgufValue::StringArray({"x"})}));
  const OwnedTensor f32 = Random({2, 3}), f16 = Random({4}, DType::kF16);
  CHECK_OK(w.AddTensor("f32", f32.view()));
  CHECK_OK(w.AddTensor("f16", f16.view()));
  for (DType q : {DType::kQ8_0, DType::kQ4_0, DType::kQ2_K}) {
    const int64_t cols = Info(q).block_size;
    CHECK_OK(
        w.AddTensor(std::string(Name(q)), q, {2, cols}, [q, cols](int64_t row, std::byte* out) {
          for (int64_t i = 0; i < RowBytes(q, cols); ++i)
            out[i] = std::byte(static_cast<uint8_t>(row * 31 + i * 7));
          return Status::Ok();
        }));
  }
  CHECK_OK(w.Write((dir / "all_types.gguf").string(), Force()));
  GgufWriter aligned;
  CHECK_OK(aligned.SetAlignment(64));
  CHECK_OK(aligned.AddTensor("t", f32.view()));
  CHECK_OK(aligned.Write((dir / "aligned64.gguf").string(), Force()));

  // Micro models as `lieq convert` writes them: no tokenizer (the smallest), a byte-level and a
  // SentencePiece tokenizer, quantized and permuted (Llama) tensors.
  struct Spec {
    const char* name;
    Arch arch;
    const char* tokenizer;
    std::optional<DType> type;
    bool tie;
  };
  const Spec specs[] = {
      {"micro_qwen3_f32.gguf", Arch::kQwen3, nullptr, std::nullopt, true},
      {"micro_qwen2_q8_0.gguf", Arch::kQwen2, nullptr, DType::kQ8_0, false},
      {"micro_llama_q4_0.gguf", Arch::kLlama, nullptr, DType::kQ4_0, false},
      {"micro_qwen3_bytelevel.gguf", Arch::kQwen3, "tiny_bytelevel", DType::kF16, true},
      {"micro_llama_spm.gguf", Arch::kLlama, "tiny_spm", DType::kBF16, true},
  };
  for (const Spec& s : specs) {
    std::optional<TokenizerSpec> tok;
    if (s.tokenizer != nullptr) {
      Result<TokenizerSpec> t = LoadTokenizerJson(
          (root / "tests/tokenizer/data" / s.tokenizer / "tokenizer.json").string());
      CHECK_OK(t.status());
      tok = std::move(t).value();
    }
    Model m = MicroModel(s.arch, tok ? static_cast<int64_t>(tok->tokens.size()) : 8, s.tie);
    m.tokenizer = std::move(tok);
    GgufWriteOptions o;
    o.tensor_type = s.type;
    o.name = "micro";
    o.write = Force();
    CHECK_OK(WriteGgufModel(m, (dir / s.name).string(), o));
  }
}

void TokenizerSeeds(const fs::path& root, const fs::path& dir) {
  const fs::path data = root / "tests/tokenizer/data";
  const std::string nul(1, '\0');
  WriteBytes(dir / "tiny_bytelevel",
             ReadAll(data / "tiny_bytelevel/tokenizer.json") + nul + nul + "Hello world 123");
  WriteBytes(dir / "tiny_spm", ReadAll(data / "tiny_spm/tokenizer.json") + nul +
                                   ReadAll(data / "tiny_spm/tokenizer_config.json") + nul +
                                   " hello  world");
}

void ConfigSeeds(const fs::path& root, const fs::path& dir) {
  const fs::path ref = root / "models/lieq-ref-qwen3/config.json";
  if (fs::exists(ref))
    fs::copy_file(ref, dir / "lieq_ref_qwen3", fs::copy_options::overwrite_existing);
  for (Arch arch : {Arch::kQwen3, Arch::kQwen2, Arch::kLlama}) {
    Model m = MicroModel(arch, 8, arch != Arch::kLlama);
    ModelConfig c = m.config;
    if (arch == Arch::kLlama) {
      c.rope_scaling.type = RopeScaling::Type::kLlama3;
      c.rope_scaling.factor = 8;
      c.rope_scaling.low_freq_factor = 1;
      c.rope_scaling.high_freq_factor = 4;
      c.rope_scaling.original_max_position_embeddings = 8192;
    }
    WriteBytes(dir / ("micro_" + std::string(ArchGgufName(arch))), HfConfigJson(c, "bfloat16"));
  }
}

void BitPlanSeeds(const fs::path& dir) {
  Model m = MicroModel(Arch::kQwen3, 8, true);
  m.config.num_layers = 6;
  BitPlan uniform = UniformBitPlan(m.config, 2, 128);
  WriteBytes(dir / "uniform", BitPlanToJson(uniform).dump(2));
  BitPlan mixed = uniform;
  mixed.bits = {4, 2, 2, 3, 8, 4};
  mixed.candidates = {2, 3, 4, 8};
  mixed.group_size = 64;
  mixed.budget = 2.5;
  mixed.rank_by = "combined";
  mixed.rank = {0, 5, 4, 3, 1, 2};
  mixed.seed = 7;
  mixed.model = "micro";
  mixed.diagnostics = "diag.json";
  WriteBytes(dir / "mixed", BitPlanToJson(mixed).dump());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s REPO_ROOT OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1], out = argv[2];
  for (const char* d : {"safetensors", "gguf", "tokenizer_json", "hf_config", "bit_plan"}) {
    fs::create_directories(out / d);
  }
  SafetensorsSeeds(out / "safetensors");
  GgufSeeds(root, out / "gguf");
  TokenizerSeeds(root, out / "tokenizer_json");
  ConfigSeeds(root, out / "hf_config");
  BitPlanSeeds(out / "bit_plan");
  return 0;
}
