#include "io/quantized_model.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/atomic_file.h"
#include "core/folder_output.h"
#include "core/mapped_file.h"
#include "core/output_path.h"
#include "io/hf_config.h"
#include "io/model_loader.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

constexpr char kWeightsFile[] = "model.safetensors";
constexpr char kQuantMethod[] = "lieq";
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
// Files copied from the source folder when present.
constexpr const char* kCopiedFiles[] = {"tokenizer.json", "tokenizer_config.json",
                                        "generation_config.json", "special_tokens_map.json"};

// One tensor of a safetensors file whose dtype may also be U8 (the generic reader in
// io/safetensors.h only knows float types).
struct RawTensor {
  std::string dtype;  // "F32", "F16", "BF16", "U8"
  Shape shape;
  const std::byte* data = nullptr;
  uint64_t bytes = 0;
};

int ElementBytes(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  if (dtype == "U8") return 1;
  return 0;
}

Result<std::map<std::string, RawTensor>> ParseRawSafetensors(const MappedFile& file) {
  const std::string& path = file.path();
  if (file.size() < 8) return DataLoss(path + ": file too short for a safetensors header");
  uint64_t header_len;
  std::memcpy(&header_len, file.data(), 8);
  if (header_len > kMaxHeaderBytes || header_len > file.size() - 8) {
    return DataLoss(path + ": header length " + std::to_string(header_len) + " exceeds the file");
  }
  const char* begin = reinterpret_cast<const char*>(file.data() + 8);
  const json header = json::parse(begin, begin + header_len, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return DataLoss(path + ": header is not JSON");
  const std::byte* data = file.data() + 8 + header_len;
  const uint64_t data_size = file.size() - 8 - header_len;
  std::map<std::string, RawTensor> tensors;
  for (const auto& [name, e] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = path + ": tensor '" + name + "'";
    if (!e.is_object() || !e.contains("dtype") || !e["dtype"].is_string() || !e.contains("shape") ||
        !e["shape"].is_array() || !e.contains("data_offsets") || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2 || !e["data_offsets"][0].is_number_unsigned() ||
        !e["data_offsets"][1].is_number_unsigned()) {
      return DataLoss(where + ": entry needs dtype, shape and data_offsets [begin, end]");
    }
    RawTensor t;
    t.dtype = e["dtype"].get<std::string>();
    if (ElementBytes(t.dtype) == 0)
      return DataLoss(where + ": dtype " + t.dtype + " is not supported");
    for (const json& d : e["shape"]) {
      if (!d.is_number_unsigned())
        return DataLoss(where + ": shape entries must be non-negative integers");
      t.shape.push_back(d.get<int64_t>());
    }
    const std::optional<int64_t> numel = CheckedNumElements(t.shape);
    if (!numel || *numel > INT64_MAX / 4) return DataLoss(where + ": shape product overflows");
    const uint64_t first = e["data_offsets"][0].get<uint64_t>();
    const uint64_t last = e["data_offsets"][1].get<uint64_t>();
    t.bytes = static_cast<uint64_t>(*numel) * ElementBytes(t.dtype);
    if (first > last || last > data_size || last - first != t.bytes) {
      return DataLoss(where + ": data_offsets do not match its shape or lie outside the file");
    }
    t.data = data + first;
    tensors[name] = t;
  }
  return tensors;
}

struct OutTensor {
  std::string name;
  std::string dtype;
  Shape shape;
  const void* data;
  uint64_t bytes;
  int align = 0;  // bytes the data must be aligned to; 0: the dtype's element size
  int Align() const { return align > 0 ? align : ElementBytes(dtype); }
};

// Writes a safetensors file; tensors are ordered by alignment (F32, then 16-bit and ggml blocks
// stored as U8, then packed codes), and every size is a multiple of its alignment, so every
// tensor's data stays aligned without gaps.
Status WriteRawSafetensors(const std::string& path, std::vector<OutTensor> tensors,
                           const std::map<std::string, std::string>& metadata) {
  std::stable_sort(tensors.begin(), tensors.end(),
                   [](const OutTensor& a, const OutTensor& b) { return a.Align() > b.Align(); });
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const OutTensor& t : tensors) {
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes}}};
    offset += t.bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return WriteFileAtomically(path, WriteOptions{.overwrite = true}, [&](std::FILE* f) -> Status {
    const uint64_t len = text.size();
    if (std::fwrite(&len, 8, 1, f) != 1 || std::fwrite(text.data(), 1, len, f) != len) {
      return IoError(path + ": short write");
    }
    for (const OutTensor& t : tensors) {
      if (std::fwrite(t.data, 1, t.bytes, f) != t.bytes) return IoError(path + ": short write");
    }
    return Status::Ok();
  });
}

Result<std::string> SafetensorsName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return std::string("F32");
    case DType::kF16:
      return std::string("F16");
    case DType::kBF16:
      return std::string("BF16");
    default:
      return Unimplemented("a " + std::string(Name(dtype)) + " tensor cannot be written");
  }
}

// "model.layers.3.self_attn.q_proj.weight" -> "model.layers.3.self_attn.q_proj"
std::string LayerName(const std::string& weight_name) {
  const std::string suffix = ".weight";
  if (weight_name.size() > suffix.size() &&
      weight_name.compare(weight_name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return weight_name.substr(0, weight_name.size() - suffix.size());
  }
  return weight_name;
}

Result<json> ReadConfigJson(const std::string& folder) {
  const std::string path = (fs::path(folder) / "config.json").string();
  LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss(path + ": not a JSON object");
  return j;
}

Result<QuantizationConfig> ParseQuantizationConfig(const json& config, const std::string& path) {
  if (!config.contains("quantization_config") || !config["quantization_config"].is_object()) {
    return InvalidArgument(path + ": no \"quantization_config\" object");
  }
  const json& q = config["quantization_config"];
  if (q.value("quant_method", "") != kQuantMethod) {
    return InvalidArgument(path + ": quantization_config.quant_method is not \"lieq\"");
  }
  QuantizationConfig qc;
  if (!q.contains("bits") || !q["bits"].is_array() || !q.contains("group_size") ||
      !q["group_size"].is_number_integer()) {
    return DataLoss(path +
                    ": quantization_config needs \"bits\" (one per block) and \"group_size\"");
  }
  for (const json& b : q["bits"]) {
    if (!b.is_number_integer())
      return DataLoss(path + ": quantization_config.bits must be integers");
    const int bits = b.get<int>();
    if (bits != 0 && bits != 2 && bits != 3 && bits != 4 && bits != 8) {
      return DataLoss(path + ": quantization_config.bits has unsupported width " +
                      std::to_string(bits));
    }
    qc.bits.push_back(bits);
  }
  qc.group_size = q["group_size"].get<int>();
  if (qc.group_size != 32 && qc.group_size != 64 && qc.group_size != 128) {
    return DataLoss(path + ": quantization_config.group_size " + std::to_string(qc.group_size) +
                    " is not supported (32, 64, 128)");
  }
  qc.method = q.value("method", "");
  if (q.contains("details")) qc.details = q["details"];
  if (q.contains("tensor_types")) {
    if (!q["tensor_types"].is_object()) {
      return DataLoss(path + ": quantization_config.tensor_types must be an object");
    }
    for (const auto& [name, type] : q["tensor_types"].items()) {
      const DTypeInfo* info = type.is_string() ? FindDType(type.get<std::string>()) : nullptr;
      if (info == nullptr || !IsQuantized(info->type)) {
        return DataLoss(path + ": quantization_config.tensor_types['" + name +
                        "'] is not a ggml block type (e.g. \"q6_K\")");
      }
      qc.tensor_types[name] = info->type;
    }
  }
  return qc;
}

// Checks one quantized layer's three tensors against its slot and width.
Result<GroupQuantView> BindPacked(const std::map<std::string, RawTensor>& tensors,
                                  const std::string& layer, const Shape& shape, int bits,
                                  int group_size, const std::string& file) {
  const int64_t rows = shape[0], cols = shape[1];
  if (cols % group_size != 0) {
    return DataLoss(file + ": " + layer + ": group size " + std::to_string(group_size) +
                    " does not divide " + std::to_string(cols) + " columns");
  }
  const Shape code_shape = {rows, PackedRowBytes(bits, cols)};
  const Shape group_shape = {rows, cols / group_size};
  auto get = [&](const std::string& suffix, const char* dtype,
                 const Shape& expected) -> Result<const std::byte*> {
    auto it = tensors.find(layer + suffix);
    if (it == tensors.end()) return NotFound(file + ": tensor '" + layer + suffix + "' is missing");
    if (it->second.dtype != dtype || it->second.shape != expected) {
      return DataLoss(file + ": tensor '" + layer + suffix + "' is " + it->second.dtype + " " +
                      ShapeToString(it->second.shape) + ", expected " + dtype + " " +
                      ShapeToString(expected) + " for " + std::to_string(bits) + "-bit weights");
    }
    return it->second.data;
  };
  GroupQuantView v;
  v.bits = bits;
  v.group_size = group_size;
  v.rows = rows;
  v.cols = cols;
  LIEQ_ASSIGN_OR_RETURN(const std::byte* codes, get(".qweight", "U8", code_shape));
  LIEQ_ASSIGN_OR_RETURN(const std::byte* scales, get(".scales", "F16", group_shape));
  LIEQ_ASSIGN_OR_RETURN(const std::byte* zeros, get(".zeros", "F16", group_shape));
  v.codes = reinterpret_cast<const uint8_t*>(codes);
  v.scales = reinterpret_cast<const uint16_t*>(scales);
  v.zeros = reinterpret_cast<const uint16_t*>(zeros);
  return v;
}

// A matrix stored in a ggml block type (quantization_config.tensor_types names it) as U8
// [rows, RowBytes(type, cols)].
Result<TensorView> BindBlocks(const RawTensor& raw, const TensorSlot& slot,
                              const QuantizationConfig& qc, const std::string& file) {
  const auto type = qc.tensor_types.find(slot.hf_name);
  if (type == qc.tensor_types.end() || slot.is_vector || slot.shape.size() != 2) {
    return DataLoss(file + ": tensor '" + slot.hf_name +
                    "' is U8 but config.json's quantization_config.tensor_types gives it no "
                    "block type");
  }
  const DType t = type->second;
  const int64_t rows = slot.shape[0], cols = slot.shape[1];
  const Shape expected = {rows, RowBytes(t, cols)};
  if (cols % Info(t).block_size != 0 || raw.shape != expected) {
    return DataLoss(file + ": tensor '" + slot.hf_name + "' is U8 " + ShapeToString(raw.shape) +
                    ", expected " + ShapeToString(expected) + " for " + ShapeToString(slot.shape) +
                    " in " + std::string(Name(t)));
  }
  return TensorView{t, slot.shape, raw.data};
}

}  // namespace

bool IsQuantizedModelFolder(const std::string& folder) {
  const Result<json> config = ReadConfigJson(folder);
  return config.ok() && config->contains("quantization_config") &&
         (*config)["quantization_config"].is_object() &&
         (*config)["quantization_config"].value("quant_method", "") == kQuantMethod;
}

Result<QuantizationConfig> ReadQuantizationConfig(const std::string& folder) {
  LIEQ_ASSIGN_OR_RETURN(json config, ReadConfigJson(folder));
  return ParseQuantizationConfig(config, (fs::path(folder) / "config.json").string());
}

Result<Model> LoadQuantizedModel(const std::string& folder) {
  Model model;
  model.source_path = folder;
  model.source_format = "lieq-quantized";
  const std::string config_path = (fs::path(folder) / "config.json").string();
  LIEQ_ASSIGN_OR_RETURN(std::string config_text, ReadTextFile(config_path));
  LIEQ_ASSIGN_OR_RETURN(model.config, ParseHfConfig(config_text, config_path));
  LIEQ_ASSIGN_OR_RETURN(QuantizationConfig qc, ReadQuantizationConfig(folder));
  if (static_cast<int64_t>(qc.bits.size()) != model.config.num_layers) {
    return DataLoss(config_path + ": quantization_config.bits has " +
                    std::to_string(qc.bits.size()) + " entries but the model has " +
                    std::to_string(model.config.num_layers) + " blocks");
  }
  const std::string file = (fs::path(folder) / kWeightsFile).string();
  LIEQ_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> mapped, MappedFile::Open(file));
  model.files.push_back(mapped);
  LIEQ_ASSIGN_OR_RETURN(auto tensors, ParseRawSafetensors(*mapped));

  Status status;
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    if (!status.ok()) return;
    const int bits = slot.block >= 0 ? qc.bits[static_cast<size_t>(slot.block)] : 0;
    if (slot.is_linear && bits > 0) {
      Result<GroupQuantView> packed =
          BindPacked(tensors, LayerName(slot.hf_name), slot.shape, bits, qc.group_size, file);
      if (!packed.ok()) {
        status = packed.status();
        return;
      }
      BlockWeights& block = model.weights.blocks[static_cast<size_t>(slot.block)];
      for (Projection p : kAllProjections) {
        if (&block.linear(p).w == slot.view) block.linear(p).packed = *packed;
      }
      *slot.view = TensorView{DType::kF32, slot.shape, nullptr};
      return;
    }
    auto it = tensors.find(slot.hf_name);
    if (it == tensors.end()) {
      status = NotFound(file + ": tensor '" + slot.hf_name + "' is missing");
      return;
    }
    const RawTensor& raw = it->second;
    TensorView view;
    view.dtype = raw.dtype == "F32" ? DType::kF32 : raw.dtype == "F16" ? DType::kF16 : DType::kBF16;
    if (raw.dtype == "U8") {
      Result<TensorView> blocks = BindBlocks(raw, slot, qc, file);
      status = blocks.ok() ? BindTensor(model, slot, *blocks, file) : blocks.status();
      return;
    }
    view.shape = raw.shape;
    view.data = raw.data;
    status = BindTensor(model, slot, view, file);
  });
  LIEQ_RETURN_IF_ERROR(status);
  FinishBinding(model);

  const std::string tokenizer_path = (fs::path(folder) / "tokenizer.json").string();
  if (fs::exists(tokenizer_path)) {
    LIEQ_ASSIGN_OR_RETURN(TokenizerSpec spec, LoadTokenizerJson(tokenizer_path));
    model.tokenizer = std::move(spec);
  }
  return model;
}

Status WriteQuantizedModel(const Model& model, const QuantizationConfig& quant,
                           const std::string& folder, bool force) {
  std::error_code ec;
  if (static_cast<int64_t>(quant.bits.size()) != model.config.num_layers) {
    return InvalidArgument("a bit plan for " + std::to_string(quant.bits.size()) +
                           " blocks does not match the model's " +
                           std::to_string(model.config.num_layers));
  }
  // config.json: the source's (all its fields kept) or one generated from the config.
  json config;
  const bool from_folder = fs::is_directory(model.source_path, ec) &&
                           fs::exists(fs::path(model.source_path) / "config.json", ec);
  if (from_folder) {
    LIEQ_ASSIGN_OR_RETURN(config, ReadConfigJson(model.source_path));
  } else {
    config = json::parse(HfConfigJson(model.config, "bfloat16"));
  }
  config["quantization_config"] = {{"quant_method", kQuantMethod},   {"bits", quant.bits},
                                   {"group_size", quant.group_size}, {"method", quant.method},
                                   {"format", "group-asym-int"},     {"version", 1},
                                   {"details", quant.details}};

  // Tensors: every slot, a quantized linear as its three tensors, a matrix in a ggml block type
  // (embeddings, head) as its bytes.
  std::vector<OutTensor> tensors;
  json tensor_types = json::object();
  ModelWeights& weights = const_cast<ModelWeights&>(model.weights);  // TensorSlots takes non-const
  Status status;
  ForEachTensor(model.config, weights, [&](TensorSlot& slot) {
    if (!status.ok()) return;
    const int bits = slot.block >= 0 ? quant.bits[static_cast<size_t>(slot.block)] : 0;
    if (slot.is_linear && bits > 0) {
      const BlockWeights& block = model.weights.blocks[static_cast<size_t>(slot.block)];
      for (Projection p : kAllProjections) {
        if (&block.linear(p).w != slot.view) continue;
        if (!block.linear(p).is_packed()) {
          status = InvalidArgument(slot.hf_name + ": the layer is not quantized");
          return;
        }
        const GroupQuantView& q = block.linear(p).packed;
        if (q.bits != bits || q.rows != slot.shape[0] || q.cols != slot.shape[1] ||
            q.group_size != quant.group_size) {
          status = InvalidArgument(slot.hf_name + ": quantized weights do not match the plan");
          return;
        }
        const std::string layer = LayerName(slot.hf_name);
        const Shape groups = {q.rows, q.groups_per_row()};
        const auto group_bytes = static_cast<uint64_t>(q.rows * q.groups_per_row() * 2);
        const int64_t row_bytes = PackedRowBytes(q.bits, q.cols);
        tensors.push_back({layer + ".qweight",
                           "U8",
                           {q.rows, row_bytes},
                           q.codes,
                           static_cast<uint64_t>(q.rows * row_bytes)});
        tensors.push_back({layer + ".scales", "F16", groups, q.scales, group_bytes});
        tensors.push_back({layer + ".zeros", "F16", groups, q.zeros, group_bytes});
      }
      return;
    }
    const TensorView& v = *slot.view;
    if (IsQuantized(v.dtype) && v.data != nullptr && v.shape.size() == 2) {
      tensor_types[slot.hf_name] = std::string(Name(v.dtype));
      tensors.push_back({slot.hf_name,
                         "U8",
                         {v.rows(), RowBytes(v.dtype, v.cols())},
                         v.data,
                         static_cast<uint64_t>(v.SizeBytes()),
                         /*align=*/2});
      return;
    }
    Result<std::string> dtype = SafetensorsName(v.dtype);
    if (!dtype.ok() || v.data == nullptr) {
      status = dtype.ok() ? InvalidArgument(slot.hf_name + ": no data to write") : dtype.status();
      return;
    }
    tensors.push_back(
        {slot.hf_name, *dtype, v.shape, v.data, static_cast<uint64_t>(v.SizeBytes())});
  });
  LIEQ_RETURN_IF_ERROR(status);
  if (!tensor_types.empty()) config["quantization_config"]["tensor_types"] = tensor_types;
  // A head stored apart from the embeddings (other types) unties them.
  config["tie_word_embeddings"] = model.config.tie_word_embeddings;

  // Build the folder beside the destination, then swap it into place (core/folder_output.h).
  LIEQ_ASSIGN_OR_RETURN(FolderOutput out, FolderOutput::Begin(folder, force));
  LIEQ_RETURN_IF_ERROR(WriteRawSafetensors(out.Path(kWeightsFile), tensors,
                                           {{"format", "pt"}, {"quant_method", kQuantMethod}}));
  LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(out.Path("config.json"), config.dump(2) + "\n",
                                               WriteOptions{.overwrite = true}));
  if (from_folder) {
    for (const char* name : kCopiedFiles) {
      const fs::path source = fs::path(model.source_path) / name;
      if (!fs::exists(source, ec)) continue;
      fs::copy_file(source, out.Path(name), ec);
      if (ec) return ErrnoError(source.string() + ": cannot copy", ec.value());
    }
  }
  return out.Commit("quantize");
}

}  // namespace lieq
