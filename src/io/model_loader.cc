#include "io/model_loader.h"

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/gguf_model.h"
#include "io/hf_config.h"
#include "io/quantized_model.h"
#include "io/safetensors.h"
#include "kernels/matmul.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace fs = std::filesystem;
namespace {

// Tensor name -> view, across all shards of a checkpoint.
Result<std::map<std::string, std::pair<TensorView, std::string>>> OpenShards(
    const std::string& folder, Model& model) {
  std::vector<std::string> shard_files;
  const fs::path index = fs::path(folder) / "model.safetensors.index.json";
  if (fs::exists(index)) {
    LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(index.string()));
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
      return DataLoss(index.string() + ": no \"weight_map\" object");
    }
    for (const auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string()) return DataLoss(index.string() + ": weight_map value for " + name + " is not a string");
      const std::string f = file.get<std::string>();
      if (f.find('/') != std::string::npos || f.find("..") != std::string::npos) {
        return DataLoss(index.string() + ": shard name '" + f + "' must be a plain file name");
      }
      if (std::find(shard_files.begin(), shard_files.end(), f) == shard_files.end()) shard_files.push_back(f);
    }
  } else {
    shard_files.push_back("model.safetensors");
  }
  std::map<std::string, std::pair<TensorView, std::string>> tensors;
  for (const std::string& name : shard_files) {
    const std::string path = (fs::path(folder) / name).string();
    LIEQ_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Open(path));
    for (const auto& [tname, view] : file.tensors()) tensors[tname] = {view, path};
    model.files.push_back(file.file());
  }
  return tensors;
}

// Converted in place, without a second copy of the tensor (peak memory at load).
OwnedTensor F32Copy(const TensorView& v) {
  OwnedTensor t = OwnedTensor::Zeros(DType::kF32, v.shape);
  RowsToF32(v, 0, v.rows(), t.f32());
  return t;
}

// Every block has at least 9 tensors (2 norms, q, k, v, o, gate, up, down). Bounds the block
// count by the checkpoint before per-block state is allocated, so that a forged config cannot
// ask for millions of blocks; names the first missing block when it can.
Status CheckBlockCount(const ModelConfig& config,
                       const std::map<std::string, std::pair<TensorView, std::string>>& tensors,
                       const std::string& folder, const std::string& config_path) {
  constexpr uint64_t kMinTensorsPerBlock = 9;
  if (static_cast<uint64_t>(config.num_layers) <= tensors.size() / kMinTensorsPerBlock) {
    return Status::Ok();
  }
  // Ends within tensors.size() + 1 steps: each step needs another tensor to go on.
  for (int64_t i = 0; i < config.num_layers; ++i) {
    const std::string name = "model.layers." + std::to_string(i) + ".input_layernorm.weight";
    if (!tensors.contains(name)) {
      return NotFound(folder + ": tensor '" + name + "' is missing from the checkpoint");
    }
  }
  return InvalidArgument(config_path + ": num_hidden_layers " + std::to_string(config.num_layers) +
                         " does not fit the checkpoint's " + std::to_string(tensors.size()) +
                         " tensors");
}

}  // namespace

Status BindTensor(Model& model, const TensorSlot& slot, const TensorView& source,
                  const std::string& file) {
  if (source.shape != slot.shape) {
    return InvalidArgument(file + ": tensor '" + slot.hf_name + "' has shape " +
                           ShapeToString(source.shape) + " but the config implies " +
                           ShapeToString(slot.shape));
  }
  if (slot.is_vector) {
    *slot.view = model.Adopt(F32Copy(source));
  } else {
    *slot.view = source;
  }
  return Status::Ok();
}

void FinishBinding(Model& model) {
  if (model.config.tie_word_embeddings) model.weights.lm_head = model.weights.embed;
}

Result<Model> LoadHfModel(const std::string& folder) {
  Model model;
  model.source_path = folder;
  model.source_format = "safetensors";
  const std::string config_path = (fs::path(folder) / "config.json").string();
  LIEQ_ASSIGN_OR_RETURN(std::string config_text, ReadTextFile(config_path));
  LIEQ_ASSIGN_OR_RETURN(model.config, ParseHfConfig(config_text, config_path));
  LIEQ_ASSIGN_OR_RETURN(auto tensors, OpenShards(folder, model));
  LIEQ_RETURN_IF_ERROR(CheckBlockCount(model.config, tensors, folder, config_path));

  Status status;
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    if (!status.ok()) return;
    auto it = tensors.find(slot.hf_name);
    if (it == tensors.end()) {
      status = NotFound(folder + ": tensor '" + slot.hf_name + "' is missing from the checkpoint");
      return;
    }
    status = BindTensor(model, slot, it->second.first, it->second.second);
  });
  LIEQ_RETURN_IF_ERROR(status);
  FinishBinding(model);

  const std::string tokenizer_path = (fs::path(folder) / "tokenizer.json").string();
  if (fs::exists(tokenizer_path)) {
    LIEQ_ASSIGN_OR_RETURN(TokenizerSpec spec, LoadTokenizerJson(tokenizer_path));
    if (static_cast<int64_t>(spec.tokens.size()) > model.config.vocab_size) {
      return InvalidArgument(tokenizer_path + ": " + std::to_string(spec.tokens.size()) +
                             " tokens do not fit the model's vocab_size " +
                             std::to_string(model.config.vocab_size));
    }
    model.tokenizer = std::move(spec);
  }
  return model;
}

Result<Model> LoadModel(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (IsQuantizedModelFolder(path)) return LoadQuantizedModel(path);
    return LoadHfModel(path);
  }
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file or folder");
  LIEQ_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(path));
  if (file->size() >= 4 && std::memcmp(file->data(), "GGUF", 4) == 0) return LoadGgufModel(path);
  return InvalidArgument(path + ": neither a Hugging Face model folder nor a GGUF file");
}

}  // namespace lieq
