#include "io/random_model.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/folder_output.h"
#include "core/half.h"
#include "core/mapped_file.h"
#include "core/output_path.h"
#include "core/rng.h"
#include "io/hf_config.h"
#include "io/safetensors.h"
#include "model/weights.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace fs = std::filesystem;
namespace {

struct Preset {
  const char* name;
  Arch arch;
  int64_t vocab, hidden, intermediate, layers, heads, kv_heads, head_dim, max_pos;
  double rope_theta;
  bool tied;
  bool llama3_rope;  // Llama-3.1/3.2 rope scaling (factor 32 for 3.2, 8 for 3.1)
  double rope_factor;
};

// Shapes as in the published config.json files of these models.
constexpr Preset kPresets[] = {
    {"qwen3-0.6b", Arch::kQwen3, 151936, 1024, 3072, 28, 16, 8, 128, 40960, 1e6, true, false, 1},
    {"qwen3-1.7b", Arch::kQwen3, 151936, 2048, 6144, 28, 16, 8, 128, 40960, 1e6, true, false, 1},
    {"qwen3-4b", Arch::kQwen3, 151936, 2560, 9728, 36, 32, 8, 128, 40960, 1e6, true, false, 1},
    {"qwen2.5-0.5b", Arch::kQwen2, 151936, 896, 4864, 24, 14, 2, 64, 32768, 1e6, true, false, 1},
    {"llama-3.2-1b", Arch::kLlama, 128256, 2048, 8192, 16, 32, 8, 64, 131072, 5e5, true, true, 32},
    {"llama-3.1-8b", Arch::kLlama, 128256, 4096, 14336, 32, 32, 8, 128, 131072, 5e5, false, true, 8},
    {"tiny-qwen3", Arch::kQwen3, 512, 64, 192, 2, 4, 2, 16, 2048, 1e6, true, false, 1},
    {"tiny-qwen2", Arch::kQwen2, 512, 64, 192, 2, 4, 2, 16, 2048, 1e6, true, false, 1},
    {"tiny-llama", Arch::kLlama, 512, 64, 192, 2, 4, 2, 16, 2048, 5e5, false, true, 8},
};

Result<DType> ParseDtype(const std::string& name) {
  if (name == "f32") return DType::kF32;
  if (name == "bf16") return DType::kBF16;
  if (name == "f16") return DType::kF16;
  return InvalidArgument("--dtype must be f32, bf16 or f16, got '" + name + "'");
}

// Writes `n` values mean + std·N(0, 1) in `dtype`, drawn in order from `rng`, a chunk at a
// time (a model of any size needs only the chunk in memory).
Status WriteRandomValues(std::FILE* f, int64_t n, DType dtype, Rng& rng, double mean, double std,
                         const std::string& path) {
  constexpr int64_t kChunk = 1 << 16;
  std::vector<float> f32;
  std::vector<uint16_t> u16;
  for (int64_t done = 0; done < n; done += kChunk) {
    const int64_t m = std::min(kChunk, n - done);
    size_t written = 0;
    if (dtype == DType::kF32) {
      f32.resize(static_cast<size_t>(m));
      for (float& v : f32) v = static_cast<float>(mean + std * rng.Normal());
      written = std::fwrite(f32.data(), 4, f32.size(), f);
    } else {
      u16.resize(static_cast<size_t>(m));
      for (uint16_t& v : u16) {
        const auto x = static_cast<float>(mean + std * rng.Normal());
        v = dtype == DType::kBF16 ? F32ToBf16(x) : F32ToF16(x);
      }
      written = std::fwrite(u16.data(), 2, u16.size(), f);
    }
    if (written != static_cast<size_t>(m)) return IoError(path + ": short write");
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (const Preset& p : kPresets) names.emplace_back(p.name);
  return names;
}

Result<ModelConfig> PresetConfig(const std::string& name) {
  for (const Preset& p : kPresets) {
    if (name != p.name) continue;
    ModelConfig c;
    c.arch = p.arch;
    c.vocab_size = p.vocab;
    c.hidden_size = p.hidden;
    c.intermediate_size = p.intermediate;
    c.num_layers = p.layers;
    c.num_heads = p.heads;
    c.num_kv_heads = p.kv_heads;
    c.head_dim = p.head_dim;
    c.max_position_embeddings = p.max_pos;
    c.rope_theta = p.rope_theta;
    c.tie_word_embeddings = p.tied;
    c.qkv_bias = p.arch == Arch::kQwen2;
    c.qk_norm = p.arch == Arch::kQwen3;
    c.rms_norm_eps = p.arch == Arch::kLlama ? 1e-5 : 1e-6;
    if (p.llama3_rope) {
      c.rope_scaling = {RopeScaling::Type::kLlama3, p.rope_factor, 1.0, 4.0, 8192};
    }
    return c;
  }
  std::string known;
  for (const Preset& p : kPresets) known += std::string(known.empty() ? "" : ", ") + p.name;
  return InvalidArgument("unknown preset '" + name + "' (known: " + known + ")");
}

Status WriteRandomModel(const RandomModelOptions& options, const std::string& folder) {
  LIEQ_ASSIGN_OR_RETURN(ModelConfig config, PresetConfig(options.preset));
  LIEQ_ASSIGN_OR_RETURN(DType dtype, ParseDtype(options.dtype));
  if (!options.arch.empty()) {
    LIEQ_ASSIGN_OR_RETURN(config.arch, ArchFromName(options.arch));
    config.qkv_bias = config.arch == Arch::kQwen2;
    config.qk_norm = config.arch == Arch::kQwen3;
  }
  if (options.num_layers > 0) config.num_layers = options.num_layers;
  std::optional<TokenizerSpec> tokenizer;
  if (!options.tokenizer.empty()) {
    LIEQ_ASSIGN_OR_RETURN(tokenizer, LoadTokenizerJson(options.tokenizer));
    // Tiny presets take the tokenizer's size; real shapes keep their (padded) vocabulary.
    const auto n = static_cast<int64_t>(tokenizer->tokens.size());
    if (options.preset.rfind("tiny-", 0) == 0 || n > config.vocab_size) config.vocab_size = n;
    config.bos_token_id = tokenizer->bos_id;
    config.eos_token_id = tokenizer->eos_id;
  }
  LIEQ_RETURN_IF_ERROR(config.Validate());

  // Tensors in slot order; one stream of random numbers in that order, so a seed fixes every
  // weight. Each is generated while it is written: memory does not grow with the model.
  ModelWeights weights;
  std::vector<NamedTensor> specs;
  std::vector<std::pair<double, double>> init;  // mean, std per tensor
  ForEachTensor(config, weights, [&](TensorSlot& slot) {
    const bool is_norm = slot.is_vector && slot.hf_name.find("bias") == std::string::npos;
    specs.push_back({slot.hf_name, TensorView{dtype, slot.shape, nullptr}});
    init.emplace_back(is_norm ? 1.0 : 0.0,
                      is_norm ? options.norm_jitter : config.initializer_range);
  });
  const uint64_t bytes = SafetensorsFileBytes(specs);
  LIEQ_RETURN_IF_ERROR(
      CheckOutputPath(folder, OutputKind::kFolder, options.write.overwrite, bytes));
  LIEQ_ASSIGN_OR_RETURN(FolderOutput out, FolderOutput::Begin(folder, options.write.overwrite));
  const std::string weights_path = out.Path("model.safetensors");
  Rng rng(options.seed);
  const WriteOptions fresh{.overwrite = true};  // files inside the new staging folder
  LIEQ_RETURN_IF_ERROR(WriteSafetensorsStreamed(
      weights_path, specs, {{"format", "pt"}}, fresh, [&](size_t i, std::FILE* f) {
        return WriteRandomValues(f, specs[i].view.NumElements(), dtype, rng, init[i].first,
                                 init[i].second, weights_path);
      }));

  const std::string torch_dtype = dtype == DType::kF32 ? "float32" : dtype == DType::kBF16 ? "bfloat16" : "float16";
  LIEQ_RETURN_IF_ERROR(
      WriteTextFileAtomically(out.Path("config.json"), HfConfigJson(config, torch_dtype), fresh));
  nlohmann::json generation = {{"do_sample", false}};
  if (config.bos_token_id >= 0) generation["bos_token_id"] = config.bos_token_id;
  if (config.eos_token_id >= 0) generation["eos_token_id"] = config.eos_token_id;
  LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(out.Path("generation_config.json"),
                                               generation.dump(2) + "\n", fresh));
  if (tokenizer) {
    const fs::path src_dir = fs::path(options.tokenizer).parent_path();
    for (const char* name : {"tokenizer.json", "tokenizer_config.json"}) {
      const fs::path src = name == std::string("tokenizer.json") ? fs::path(options.tokenizer) : src_dir / name;
      if (!fs::exists(src)) continue;
      LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(src.string()));
      LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(out.Path(name), text, fresh));
    }
  }
  return out.Commit("make-random");
}

}  // namespace lieq
