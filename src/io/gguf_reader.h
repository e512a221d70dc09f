// GGUF files (versions 2 and 3, little-endian): the typed metadata key/value store and the
// tensor directory, validated against the real file size before anything is allocated, with
// tensors viewed in place through a memory map.
//
// Layout (GGUF specification): "GGUF" u32 version, u64 tensor_count, u64 kv_count; kv_count
// pairs (string key, u32 value type, value); tensor_count infos (string name, u32 n_dims,
// u64 ne[n_dims] innermost first, u32 ggml type, u64 offset relative to the data section);
// padding to general.alignment (default 32); the data section. A string is a u64 length and
// that many bytes; an array is a u32 element type, a u64 count and the elements.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.h"
#include "core/status.h"
#include "core/tensor.h"

namespace lieq {

inline constexpr uint32_t kGgufDefaultAlignment = 32;

// Metadata value types, with the specification's ids.
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view GgufTypeName(GgufType type);  // "uint32", "array", ...
// Bytes of one value of a fixed-size type; 0 for kString and kArray.
size_t GgufTypeSize(GgufType type);

// One metadata value: a scalar, a string, or an array of any of these (arrays nest).
// Numeric scalars and numeric array elements keep the file's little-endian bytes; the typed
// accessors convert. Also the builder the writer uses.
class GgufValue {
 public:
  GgufValue() = default;

  // Builders.
  static GgufValue U8(uint8_t v);
  static GgufValue I8(int8_t v);
  static GgufValue U16(uint16_t v);
  static GgufValue I16(int16_t v);
  static GgufValue U32(uint32_t v);
  static GgufValue I32(int32_t v);
  static GgufValue U64(uint64_t v);
  static GgufValue I64(int64_t v);
  static GgufValue F32(float v);
  static GgufValue F64(double v);
  static GgufValue Bool(bool v);
  static GgufValue String(std::string v);
  static GgufValue StringArray(std::vector<std::string> v);
  static GgufValue I32Array(const std::vector<int32_t>& v);
  static GgufValue U32Array(const std::vector<uint32_t>& v);
  static GgufValue F32Array(const std::vector<float>& v);
  static GgufValue ArrayOfArrays(std::vector<GgufValue> v);
  // A numeric array of `type` from its raw little-endian bytes (count * GgufTypeSize(type)).
  static GgufValue RawArray(GgufType type, std::vector<std::byte> bytes);

  GgufType type() const { return type_; }
  GgufType array_type() const { return array_type_; }  // element type when type() == kArray
  size_t array_size() const;
  bool is_integer() const;  // any integer type (bool excluded)
  bool is_float() const;    // kFloat32 or kFloat64

  // Exact conversions; nullopt when the value is not of a compatible type or out of range.
  std::optional<int64_t> AsInt() const;    // any integer type that fits in int64
  std::optional<uint64_t> AsUint() const;  // any non-negative integer
  std::optional<double> AsDouble() const;  // kFloat32, kFloat64
  std::optional<bool> AsBool() const;      // kBool
  const std::string* AsString() const;     // kString, else null

  // Array contents; nullopt when not an array of a compatible element type.
  std::optional<std::vector<int64_t>> AsIntArray() const;
  std::optional<std::vector<double>> AsDoubleArray() const;
  const std::vector<std::string>* AsStringArray() const;
  const std::vector<GgufValue>* AsArrayOfArrays() const;

  // The raw payload, for the writer: scalar bytes, string bytes or numeric array bytes.
  const std::vector<std::byte>& raw() const { return raw_; }
  const std::string& string() const { return string_; }

  // A short printable form, e.g. "uint32 32" or "array[string; 151936]".
  std::string DebugString() const;

  // Used by the reader, which has validated sizes first.
  static GgufValue FromParts(GgufType type, GgufType array_type, std::vector<std::byte> raw,
                             std::string string, std::vector<std::string> strings,
                             std::vector<GgufValue> arrays);

 private:
  template <typename T>
  static GgufValue Scalar(GgufType type, T v);
  template <typename T>
  static GgufValue NumArray(GgufType type, const std::vector<T>& v);
  // Element i of a numeric array (or the scalar for i == 0) widened, by element type.
  std::optional<int64_t> IntAt(GgufType t, size_t i) const;
  std::optional<double> DoubleAt(GgufType t, size_t i) const;

  GgufType type_ = GgufType::kUint8;
  GgufType array_type_ = GgufType::kUint8;
  std::vector<std::byte> raw_;        // scalar bytes, or numeric array elements
  std::string string_;                // kString
  std::vector<std::string> strings_;  // array of strings
  std::vector<GgufValue> arrays_;     // array of arrays
};

// One entry of the tensor directory.
struct GgufTensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;          // row-major, outermost first (ggml's ne reversed)
  uint64_t offset = 0;  // from the start of the data section
  uint64_t size_bytes = 0;
};

class GgufFile {
 public:
  // Maps and validates the whole file: magic, version 2 or 3, every count, length, type id,
  // shape and offset against the file size, alignment, no overlapping tensors.
  static Result<GgufFile> Open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  const std::shared_ptr<MappedFile>& file() const { return file_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // absolute offset of the data section

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* Find(std::string_view key) const;  // null when absent
  bool Has(std::string_view key) const { return Find(key) != nullptr; }

  // Typed getters: kNotFound when the key is absent, kInvalidArgument when it has another
  // type or does not fit; messages name the file and the key.
  Result<int64_t> GetInt(std::string_view key) const;   // any integer type
  Result<uint32_t> GetU32(std::string_view key) const;  // any integer type in [0, 2^32)
  Result<double> GetFloat(std::string_view key) const;  // float32 or float64
  Result<bool> GetBool(std::string_view key) const;
  Result<std::string> GetString(std::string_view key) const;
  Result<std::vector<std::string>> GetStringArray(std::string_view key) const;
  Result<std::vector<int64_t>> GetIntArray(std::string_view key) const;
  Result<std::vector<double>> GetFloatArray(std::string_view key) const;

  // Tensor directory in file order.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(std::string_view name) const;  // null when absent
  // A view of the tensor's bytes in the map; kNotFound (naming the file) when absent.
  Result<TensorView> Tensor(std::string_view name) const;
  TensorView View(const GgufTensorInfo& info) const;

 private:
  Status KeyError(std::string_view key, const GgufValue* v, std::string_view wanted) const;

  std::shared_ptr<MappedFile> file_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, size_t, std::less<>> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace lieq
