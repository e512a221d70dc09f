#include "io/safetensors.h"

#include <cstring>
#include <nlohmann/json.hpp>

namespace lieq {
namespace {

using json = nlohmann::json;

// A header larger than this is refused before it is read (real ones are < 1 MB).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

Result<DType> ParseDtype(const std::string& name) {
  if (name == "F32") return DType::kF32;
  if (name == "F16") return DType::kF16;
  if (name == "BF16") return DType::kBF16;
  return Unimplemented("dtype " + name + " is not supported (F32, F16, BF16 are)");
}

Result<TensorView> ParseEntry(const std::string& name, const json& entry, const std::byte* data,
                              uint64_t data_size) {
  const std::string where = "tensor '" + name + "'";
  if (!entry.is_object() || !entry.contains("dtype") || !entry["dtype"].is_string() ||
      !entry.contains("shape") || !entry["shape"].is_array() || !entry.contains("data_offsets") ||
      !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2) {
    return DataLoss(where + ": entry needs dtype, shape and data_offsets [begin, end]");
  }
  LIEQ_ASSIGN_OR_RETURN(DType dtype, ParseDtype(entry["dtype"].get<std::string>()));
  TensorView view;
  view.dtype = dtype;
  for (const json& d : entry["shape"]) {
    if (!d.is_number_unsigned()) return DataLoss(where + ": shape entries must be non-negative integers");
    const uint64_t dim = d.get<uint64_t>();
    // A zero dimension would make every row count divide by zero; checkpoints never have one.
    if (dim == 0 || dim > static_cast<uint64_t>(INT64_MAX)) {
      return DataLoss(where + ": dimension " + std::to_string(dim) +
                      " is not supported (1 to 2^63 - 1)");
    }
    view.shape.push_back(static_cast<int64_t>(dim));
  }
  const json& offsets = entry["data_offsets"];
  if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
    return DataLoss(where + ": data_offsets must be non-negative integers");
  }
  const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
  const std::optional<int64_t> numel = CheckedNumElements(view.shape);
  if (!numel || *numel > INT64_MAX / 4) return DataLoss(where + ": shape product overflows");
  const uint64_t expected = static_cast<uint64_t>(*numel) * (dtype == DType::kF32 ? 4 : 2);
  if (begin > end || end > data_size) {
    return DataLoss(where + ": data_offsets [" + std::to_string(begin) + ", " +
                    std::to_string(end) + "] lie outside the " + std::to_string(data_size) +
                    "-byte data section");
  }
  if (end - begin != expected) {
    return DataLoss(where + ": " + std::to_string(end - begin) + " bytes for shape " +
                    ShapeToString(view.shape) + " of " + entry["dtype"].get<std::string>() +
                    " (expected " + std::to_string(expected) + ")");
  }
  view.data = data + begin;
  return view;
}

}  // namespace

Result<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  LIEQ_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(path));
  auto fail = [&](const Status& s) { return s.WithContext(path); };
  if (file->size() < 8) return fail(DataLoss("file too short for a safetensors header"));
  uint64_t header_len;
  std::memcpy(&header_len, file->data(), 8);  // little-endian hosts only (x86-64, aarch64)
  if (header_len > kMaxHeaderBytes || header_len > file->size() - 8) {
    return fail(DataLoss("header length " + std::to_string(header_len) + " exceeds the file size " +
                         std::to_string(file->size())));
  }
  const char* header_begin = reinterpret_cast<const char*>(file->data() + 8);
  json header = json::parse(header_begin, header_begin + header_len, nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return fail(DataLoss("header is not a JSON object"));
  }
  SafetensorsFile result;
  const std::byte* data = file->data() + 8 + header_len;
  const uint64_t data_size = file->size() - 8 - header_len;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) return fail(DataLoss("__metadata__ is not an object"));
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (m.value().is_string()) result.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    Result<TensorView> view = ParseEntry(it.key(), it.value(), data, data_size);
    if (!view.ok()) return fail(view.status());
    result.tensors_[it.key()] = *view;
  }
  result.file_ = std::move(file);
  return result;
}

Result<std::string> SafetensorsDtypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return std::string("F32");
    case DType::kF16: return std::string("F16");
    case DType::kBF16: return std::string("BF16");
    default: return Unimplemented("safetensors cannot store " + std::string(Name(dtype)));
  }
}

namespace {

Result<std::string> SafetensorsHeader(const std::vector<NamedTensor>& tensors,
                                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    LIEQ_ASSIGN_OR_RETURN(std::string dtype, SafetensorsDtypeName(t.view.dtype));
    const uint64_t bytes = static_cast<uint64_t>(t.view.SizeBytes());
    header[t.name] = {{"dtype", dtype}, {"shape", t.view.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  return text;
}

}  // namespace

uint64_t SafetensorsFileBytes(const std::vector<NamedTensor>& specs) {
  const Result<std::string> header = SafetensorsHeader(specs, {});
  uint64_t bytes = 8 + (header.ok() ? header->size() : 0);
  for (const NamedTensor& t : specs) bytes += static_cast<uint64_t>(t.view.SizeBytes());
  return bytes;
}

Status WriteSafetensorsStreamed(const std::string& path, const std::vector<NamedTensor>& specs,
                                const std::map<std::string, std::string>& metadata,
                                const WriteOptions& options,
                                const std::function<Status(size_t, std::FILE*)>& write_tensor) {
  LIEQ_ASSIGN_OR_RETURN(std::string text, SafetensorsHeader(specs, metadata));
  return WriteFileAtomically(path, options, [&](std::FILE* f) -> Status {
    const uint64_t len = text.size();
    if (std::fwrite(&len, 8, 1, f) != 1 || std::fwrite(text.data(), 1, len, f) != len) {
      return IoError(path + ": short write");
    }
    for (size_t i = 0; i < specs.size(); ++i) LIEQ_RETURN_IF_ERROR(write_tensor(i, f));
    return Status::Ok();
  });
}

Status WriteSafetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                        const std::map<std::string, std::string>& metadata,
                        const WriteOptions& options) {
  return WriteSafetensorsStreamed(path, tensors, metadata, options, [&](size_t i, std::FILE* f) {
    const size_t bytes = static_cast<size_t>(tensors[i].view.SizeBytes());
    if (std::fwrite(tensors[i].view.data, 1, bytes, f) != bytes) {
      return IoError(path + ": short write");
    }
    return Status::Ok();
  });
}

}  // namespace lieq
