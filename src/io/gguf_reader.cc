#include "io/gguf_reader.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <numeric>

namespace lieq {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr int kMaxDims = 4;              // GGML_MAX_DIMS: ggml tensors have at most 4 dims
// Arrays of arrays may nest; real files never do, and a forged file must not be able to
// recurse deep enough to exhaust the stack.
constexpr int kMaxArrayDepth = 8;

// Smallest encodings, used to bound counts by the bytes left before anything is reserved.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;                  // empty key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // empty name, 1 dim, type, offset
constexpr uint64_t kStringHeaderBytes = 8;
constexpr uint64_t kArrayHeaderBytes = 4 + 8;

bool IsKnownType(uint32_t id) { return id <= static_cast<uint32_t>(GgufType::kFloat64); }

bool IsIntegerType(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

bool IsFloatType(GgufType t) { return t == GgufType::kFloat32 || t == GgufType::kFloat64; }

template <typename T>
T LoadLe(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // little-endian hosts only (x86-64, aarch64)
  return v;
}

// Bounds-checked reads over the mapped header. Every read first checks the bytes left, so a
// truncated or forged file yields an error naming the offset, never an out-of-bounds read.
class Cursor {
 public:
  Cursor(const std::byte* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  Status Need(uint64_t n, std::string_view what) const {
    if (n > left()) {
      return DataLoss("truncated at byte " + std::to_string(pos_) + ": " + std::string(what) +
                      " needs " + std::to_string(n) + " bytes, " + std::to_string(left()) +
                      " left");
    }
    return Status::Ok();
  }

  template <typename T>
  Status Read(T* out, std::string_view what) {
    LIEQ_RETURN_IF_ERROR(Need(sizeof(T), what));
    *out = LoadLe<T>(data_ + pos_);
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadString(std::string* out, std::string_view what) {
    uint64_t len = 0;
    LIEQ_RETURN_IF_ERROR(Read(&len, what));
    if (len > left()) {
      return DataLoss("at byte " + std::to_string(pos_ - 8) + ": " + std::string(what) +
                      " length " + std::to_string(len) + " exceeds the " + std::to_string(left()) +
                      " bytes left in the file");
    }
    out->assign(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return Status::Ok();
  }

  Status ReadBytes(uint64_t n, std::vector<std::byte>* out, std::string_view what) {
    LIEQ_RETURN_IF_ERROR(Need(n, what));
    out->assign(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return Status::Ok();
  }

 private:
  const std::byte* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

Result<GgufType> ReadType(Cursor& c, std::string_view what) {
  uint32_t id = 0;
  LIEQ_RETURN_IF_ERROR(c.Read(&id, what));
  if (!IsKnownType(id)) {
    return DataLoss("at byte " + std::to_string(c.pos() - 4) + ": unknown " + std::string(what) +
                    " id " + std::to_string(id));
  }
  return static_cast<GgufType>(id);
}

Status CheckBools(const std::vector<std::byte>& raw, uint64_t at) {
  for (std::byte b : raw) {
    if (b != std::byte{0} && b != std::byte{1}) {
      return DataLoss("at byte " + std::to_string(at) + ": bool value " +
                      std::to_string(static_cast<int>(b)) + " is neither 0 nor 1");
    }
  }
  return Status::Ok();
}

Result<GgufValue> ReadValue(Cursor& c, GgufType type, int depth) {
  const uint64_t at = c.pos();
  if (type == GgufType::kString) {
    std::string s;
    LIEQ_RETURN_IF_ERROR(c.ReadString(&s, "string value"));
    return GgufValue::FromParts(type, GgufType::kUint8, {}, std::move(s), {}, {});
  }
  if (type != GgufType::kArray) {
    std::vector<std::byte> raw;
    LIEQ_RETURN_IF_ERROR(c.ReadBytes(GgufTypeSize(type), &raw, GgufTypeName(type)));
    if (type == GgufType::kBool) LIEQ_RETURN_IF_ERROR(CheckBools(raw, at));
    return GgufValue::FromParts(type, GgufType::kUint8, std::move(raw), {}, {}, {});
  }
  if (depth >= kMaxArrayDepth) {
    return DataLoss("at byte " + std::to_string(at) + ": arrays nested deeper than " +
                    std::to_string(kMaxArrayDepth));
  }
  LIEQ_ASSIGN_OR_RETURN(GgufType elem, ReadType(c, "array element type"));
  uint64_t count = 0;
  LIEQ_RETURN_IF_ERROR(c.Read(&count, "array length"));
  // The smallest possible element bounds the count before any allocation.
  const uint64_t min_elem = elem == GgufType::kString  ? kStringHeaderBytes
                            : elem == GgufType::kArray ? kArrayHeaderBytes
                                                       : GgufTypeSize(elem);
  if (count > c.left() / min_elem) {
    return DataLoss("at byte " + std::to_string(at) + ": array of " + std::to_string(count) + " " +
                    std::string(GgufTypeName(elem)) + " values cannot fit in the " +
                    std::to_string(c.left()) + " bytes left in the file");
  }
  if (elem == GgufType::kString) {
    std::vector<std::string> strings(static_cast<size_t>(count));
    for (std::string& s : strings) LIEQ_RETURN_IF_ERROR(c.ReadString(&s, "array string"));
    return GgufValue::FromParts(type, elem, {}, {}, std::move(strings), {});
  }
  if (elem == GgufType::kArray) {
    std::vector<GgufValue> arrays;
    arrays.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
      LIEQ_ASSIGN_OR_RETURN(GgufValue v, ReadValue(c, elem, depth + 1));
      arrays.push_back(std::move(v));
    }
    return GgufValue::FromParts(type, elem, {}, {}, {}, std::move(arrays));
  }
  std::vector<std::byte> raw;
  LIEQ_RETURN_IF_ERROR(c.ReadBytes(count * min_elem, &raw, "array data"));
  if (elem == GgufType::kBool) LIEQ_RETURN_IF_ERROR(CheckBools(raw, at));
  return GgufValue::FromParts(type, elem, std::move(raw), {}, {}, {});
}

// Reads one tensor directory entry (shape, type, size; offsets are checked later, once the
// data section's start is known).
Result<GgufTensorInfo> ReadTensorInfo(Cursor& c, uint64_t file_size) {
  GgufTensorInfo info;
  LIEQ_RETURN_IF_ERROR(c.ReadString(&info.name, "tensor name"));
  const std::string where = "tensor '" + info.name + "'";
  uint32_t n_dims = 0;
  LIEQ_RETURN_IF_ERROR(c.Read(&n_dims, "tensor dimension count"));
  if (n_dims < 1 || n_dims > kMaxDims) {
    return DataLoss(where + ": " + std::to_string(n_dims) + " dimensions (1 to " +
                    std::to_string(kMaxDims) + " allowed)");
  }
  std::vector<uint64_t> ne(n_dims);
  for (uint64_t& d : ne) {
    LIEQ_RETURN_IF_ERROR(c.Read(&d, "tensor dimension"));
    if (d == 0 || d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return DataLoss(where + ": invalid dimension " + std::to_string(d));
    }
  }
  uint32_t type_id = 0;
  LIEQ_RETURN_IF_ERROR(c.Read(&type_id, "tensor type"));
  const DTypeInfo* type = FindDType(type_id);
  if (type == nullptr) {
    return Unimplemented(where + ": ggml type id " + std::to_string(type_id) +
                         " is not supported by this build");
  }
  info.dtype = type->type;
  LIEQ_RETURN_IF_ERROR(c.Read(&info.offset, "tensor offset"));
  info.shape.assign(ne.rbegin(), ne.rend());  // ggml's ne is innermost first
  const std::optional<int64_t> numel = CheckedNumElements(info.shape);
  if (!numel) return DataLoss(where + ": shape " + ShapeToString(info.shape) + " overflows");
  if (static_cast<int64_t>(ne[0]) % type->block_size != 0) {
    return DataLoss(where + ": row length " + std::to_string(ne[0]) + " is not a multiple of the " +
                    std::string(type->name) + " block size " + std::to_string(type->block_size));
  }
  const uint64_t blocks = static_cast<uint64_t>(*numel / type->block_size);
  const auto block_bytes = static_cast<uint64_t>(type->block_bytes);
  if (blocks > file_size / block_bytes) {
    return DataLoss(where + ": shape " + ShapeToString(info.shape) + " of " +
                    std::string(type->name) + " needs more bytes than the whole file has");
  }
  info.size_bytes = blocks * block_bytes;
  return info;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// GgufValue

std::string_view GgufTypeName(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
      return "uint8";
    case GgufType::kInt8:
      return "int8";
    case GgufType::kUint16:
      return "uint16";
    case GgufType::kInt16:
      return "int16";
    case GgufType::kUint32:
      return "uint32";
    case GgufType::kInt32:
      return "int32";
    case GgufType::kFloat32:
      return "float32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kUint64:
      return "uint64";
    case GgufType::kInt64:
      return "int64";
    case GgufType::kFloat64:
      return "float64";
  }
  return "?";
}

size_t GgufTypeSize(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    case GgufType::kString:
    case GgufType::kArray:
      return 0;
  }
  return 0;
}

template <typename T>
GgufValue GgufValue::Scalar(GgufType type, T v) {
  GgufValue out;
  out.type_ = type;
  out.raw_.resize(sizeof(T));
  std::memcpy(out.raw_.data(), &v, sizeof(T));
  return out;
}

template <typename T>
GgufValue GgufValue::NumArray(GgufType type, const std::vector<T>& v) {
  GgufValue out;
  out.type_ = GgufType::kArray;
  out.array_type_ = type;
  out.raw_.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(out.raw_.data(), v.data(), out.raw_.size());
  return out;
}

GgufValue GgufValue::U8(uint8_t v) { return Scalar(GgufType::kUint8, v); }
GgufValue GgufValue::I8(int8_t v) { return Scalar(GgufType::kInt8, v); }
GgufValue GgufValue::U16(uint16_t v) { return Scalar(GgufType::kUint16, v); }
GgufValue GgufValue::I16(int16_t v) { return Scalar(GgufType::kInt16, v); }
GgufValue GgufValue::U32(uint32_t v) { return Scalar(GgufType::kUint32, v); }
GgufValue GgufValue::I32(int32_t v) { return Scalar(GgufType::kInt32, v); }
GgufValue GgufValue::U64(uint64_t v) { return Scalar(GgufType::kUint64, v); }
GgufValue GgufValue::I64(int64_t v) { return Scalar(GgufType::kInt64, v); }
GgufValue GgufValue::F32(float v) { return Scalar(GgufType::kFloat32, v); }
GgufValue GgufValue::F64(double v) { return Scalar(GgufType::kFloat64, v); }
GgufValue GgufValue::Bool(bool v) { return Scalar(GgufType::kBool, static_cast<uint8_t>(v)); }
GgufValue GgufValue::I32Array(const std::vector<int32_t>& v) {
  return NumArray(GgufType::kInt32, v);
}
GgufValue GgufValue::U32Array(const std::vector<uint32_t>& v) {
  return NumArray(GgufType::kUint32, v);
}
GgufValue GgufValue::F32Array(const std::vector<float>& v) {
  return NumArray(GgufType::kFloat32, v);
}

GgufValue GgufValue::String(std::string v) {
  GgufValue out;
  out.type_ = GgufType::kString;
  out.string_ = std::move(v);
  return out;
}

GgufValue GgufValue::StringArray(std::vector<std::string> v) {
  GgufValue out;
  out.type_ = GgufType::kArray;
  out.array_type_ = GgufType::kString;
  out.strings_ = std::move(v);
  return out;
}

GgufValue GgufValue::ArrayOfArrays(std::vector<GgufValue> v) {
  GgufValue out;
  out.type_ = GgufType::kArray;
  out.array_type_ = GgufType::kArray;
  out.arrays_ = std::move(v);
  return out;
}

GgufValue GgufValue::RawArray(GgufType type, std::vector<std::byte> bytes) {
  assert(GgufTypeSize(type) != 0 && bytes.size() % GgufTypeSize(type) == 0);
  GgufValue out;
  out.type_ = GgufType::kArray;
  out.array_type_ = type;
  out.raw_ = std::move(bytes);
  return out;
}

GgufValue GgufValue::FromParts(GgufType type, GgufType array_type, std::vector<std::byte> raw,
                               std::string string, std::vector<std::string> strings,
                               std::vector<GgufValue> arrays) {
  GgufValue out;
  out.type_ = type;
  out.array_type_ = array_type;
  out.raw_ = std::move(raw);
  out.string_ = std::move(string);
  out.strings_ = std::move(strings);
  out.arrays_ = std::move(arrays);
  return out;
}

size_t GgufValue::array_size() const {
  if (type_ != GgufType::kArray) return 0;
  if (array_type_ == GgufType::kString) return strings_.size();
  if (array_type_ == GgufType::kArray) return arrays_.size();
  return raw_.size() / GgufTypeSize(array_type_);
}

bool GgufValue::is_integer() const { return IsIntegerType(type_); }
bool GgufValue::is_float() const { return IsFloatType(type_); }

std::optional<int64_t> GgufValue::IntAt(GgufType t, size_t i) const {
  const std::byte* p = raw_.data() + i * GgufTypeSize(t);
  switch (t) {
    case GgufType::kUint8:
      return LoadLe<uint8_t>(p);
    case GgufType::kInt8:
      return LoadLe<int8_t>(p);
    case GgufType::kUint16:
      return LoadLe<uint16_t>(p);
    case GgufType::kInt16:
      return LoadLe<int16_t>(p);
    case GgufType::kUint32:
      return LoadLe<uint32_t>(p);
    case GgufType::kInt32:
      return LoadLe<int32_t>(p);
    case GgufType::kInt64:
      return LoadLe<int64_t>(p);
    case GgufType::kUint64: {
      const auto v = LoadLe<uint64_t>(p);
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    default:
      return std::nullopt;
  }
}

std::optional<double> GgufValue::DoubleAt(GgufType t, size_t i) const {
  const std::byte* p = raw_.data() + i * GgufTypeSize(t);
  if (t == GgufType::kFloat32) return LoadLe<float>(p);
  if (t == GgufType::kFloat64) return LoadLe<double>(p);
  return std::nullopt;
}

std::optional<int64_t> GgufValue::AsInt() const {
  if (!is_integer()) return std::nullopt;
  return IntAt(type_, 0);
}

std::optional<uint64_t> GgufValue::AsUint() const {
  if (type_ == GgufType::kUint64) return LoadLe<uint64_t>(raw_.data());
  const std::optional<int64_t> v = AsInt();
  if (!v || *v < 0) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

std::optional<double> GgufValue::AsDouble() const {
  if (!is_float()) return std::nullopt;
  return DoubleAt(type_, 0);
}

std::optional<bool> GgufValue::AsBool() const {
  if (type_ != GgufType::kBool) return std::nullopt;
  return raw_[0] != std::byte{0};
}

const std::string* GgufValue::AsString() const {
  return type_ == GgufType::kString ? &string_ : nullptr;
}

std::optional<std::vector<int64_t>> GgufValue::AsIntArray() const {
  if (type_ != GgufType::kArray || !IsIntegerType(array_type_)) return std::nullopt;
  std::vector<int64_t> out(array_size());
  for (size_t i = 0; i < out.size(); ++i) {
    const std::optional<int64_t> v = IntAt(array_type_, i);
    if (!v) return std::nullopt;
    out[i] = *v;
  }
  return out;
}

std::optional<std::vector<double>> GgufValue::AsDoubleArray() const {
  if (type_ != GgufType::kArray || !IsFloatType(array_type_)) return std::nullopt;
  std::vector<double> out(array_size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = *DoubleAt(array_type_, i);
  return out;
}

const std::vector<std::string>* GgufValue::AsStringArray() const {
  return type_ == GgufType::kArray && array_type_ == GgufType::kString ? &strings_ : nullptr;
}

const std::vector<GgufValue>* GgufValue::AsArrayOfArrays() const {
  return type_ == GgufType::kArray && array_type_ == GgufType::kArray ? &arrays_ : nullptr;
}

std::string GgufValue::DebugString() const {
  if (type_ == GgufType::kArray) {
    return "array[" + std::string(GgufTypeName(array_type_)) + "; " + std::to_string(array_size()) +
           "]";
  }
  std::string s(GgufTypeName(type_));
  if (type_ == GgufType::kString) {
    constexpr size_t kMaxShown = 40;  // keeps error messages one line
    return s + " \"" + string_.substr(0, kMaxShown) + (string_.size() > kMaxShown ? "...\"" : "\"");
  }
  if (type_ == GgufType::kUint64) return s + " " + std::to_string(*AsUint());
  if (is_integer()) return s + " " + std::to_string(*AsInt());
  if (is_float()) return s + " " + std::to_string(*AsDouble());
  return s + (*AsBool() ? " true" : " false");
}

// ---------------------------------------------------------------------------------------------
// GgufFile

Result<GgufFile> GgufFile::Open(const std::string& path) {
  LIEQ_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(path));
  auto fail = [&](const Status& s) { return s.WithContext(path); };
  const uint64_t size = file->size();
  Cursor c(file->data(), size);

  uint32_t magic = 0, version = 0;
  uint64_t tensor_count = 0, kv_count = 0;
  LIEQ_RETURN_IF_ERROR(fail(c.Read(&magic, "magic")));
  if (magic != kMagic) return fail(DataLoss("not a GGUF file (bad magic)"));
  LIEQ_RETURN_IF_ERROR(fail(c.Read(&version, "version")));
  if (version == 1) return fail(Unimplemented("GGUF version 1 is not supported (2 and 3 are)"));
  if (version == 0x02000000u || version == 0x03000000u) {
    return fail(Unimplemented("big-endian GGUF files are not supported"));
  }
  if (version != 2 && version != 3) {
    return fail(
        DataLoss("unknown GGUF version " + std::to_string(version) + " (2 and 3 are read)"));
  }
  LIEQ_RETURN_IF_ERROR(fail(c.Read(&tensor_count, "tensor count")));
  LIEQ_RETURN_IF_ERROR(fail(c.Read(&kv_count, "metadata count")));
  if (kv_count > c.left() / kMinKvBytes) {
    return fail(DataLoss("metadata count " + std::to_string(kv_count) +
                         " cannot fit in the file's " + std::to_string(size) + " bytes"));
  }
  if (tensor_count > c.left() / kMinTensorInfoBytes) {
    return fail(DataLoss("tensor count " + std::to_string(tensor_count) +
                         " cannot fit in the file's " + std::to_string(size) + " bytes"));
  }

  GgufFile out;
  out.version_ = version;
  out.metadata_.reserve(static_cast<size_t>(kv_count));
  for (uint64_t i = 0; i < kv_count; ++i) {
    std::string key;
    LIEQ_RETURN_IF_ERROR(fail(c.ReadString(&key, "metadata key")));
    auto in_key = [&](const Status& s) { return fail(s.WithContext("metadata '" + key + "'")); };
    Result<GgufType> type = ReadType(c, "metadata value type");
    if (!type.ok()) return in_key(type.status());
    Result<GgufValue> value = ReadValue(c, *type, 0);
    if (!value.ok()) return in_key(value.status());
    if (!out.metadata_index_.emplace(key, out.metadata_.size()).second) {
      return in_key(DataLoss("key appears twice"));
    }
    out.metadata_.emplace_back(std::move(key), std::move(value).value());
  }

  if (const GgufValue* a = out.Find("general.alignment")) {
    const std::optional<uint64_t> v = a->AsUint();
    if (a->type() != GgufType::kUint32 || !v || *v == 0 || (*v & (*v - 1)) != 0) {
      return fail(
          DataLoss("general.alignment must be a uint32 power of two, got " + a->DebugString()));
    }
    out.alignment_ = static_cast<uint32_t>(*v);
  }

  out.tensors_.reserve(static_cast<size_t>(tensor_count));
  for (uint64_t i = 0; i < tensor_count; ++i) {
    Result<GgufTensorInfo> info = ReadTensorInfo(c, size);
    if (!info.ok()) return fail(info.status().WithContext("tensor " + std::to_string(i)));
    if (!out.tensor_index_.emplace(info->name, out.tensors_.size()).second) {
      return fail(DataLoss("tensor '" + info->name + "' appears twice"));
    }
    out.tensors_.push_back(std::move(info).value());
  }

  // The data section starts at the next multiple of the alignment after the directory.
  const uint64_t align = out.alignment_;
  out.data_offset_ = (c.pos() + align - 1) / align * align;
  const uint64_t data_size = out.data_offset_ <= size ? size - out.data_offset_ : 0;
  std::vector<size_t> order(out.tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  for (const GgufTensorInfo& t : out.tensors_) {
    if (t.offset % align != 0) {
      return fail(DataLoss("tensor '" + t.name + "': offset " + std::to_string(t.offset) +
                           " is not a multiple of the alignment " + std::to_string(align)));
    }
    if (t.offset > data_size || t.size_bytes > data_size - t.offset) {
      return fail(DataLoss("tensor '" + t.name + "': bytes [" + std::to_string(t.offset) + ", " +
                           std::to_string(t.offset) + " + " + std::to_string(t.size_bytes) +
                           ") lie outside the " + std::to_string(data_size) +
                           "-byte data section (file truncated?)"));
    }
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return out.tensors_[a].offset < out.tensors_[b].offset; });
  for (size_t i = 1; i < order.size(); ++i) {
    const GgufTensorInfo& prev = out.tensors_[order[i - 1]];
    const GgufTensorInfo& cur = out.tensors_[order[i]];
    if (prev.offset + prev.size_bytes > cur.offset) {
      return fail(DataLoss("tensors '" + prev.name + "' and '" + cur.name + "' overlap"));
    }
  }
  out.file_ = std::move(file);
  return out;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

Status GgufFile::KeyError(std::string_view key, const GgufValue* v, std::string_view wanted) const {
  if (v == nullptr) {
    return NotFound(path() + ": metadata key '" + std::string(key) + "' is missing");
  }
  return InvalidArgument(path() + ": metadata key '" + std::string(key) + "' should be " +
                         std::string(wanted) + ", got " + v->DebugString());
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v != nullptr) {
    if (std::optional<int64_t> i = v->AsInt()) return *i;
  }
  return KeyError(key, v, "an integer");
}

Result<uint32_t> GgufFile::GetU32(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v != nullptr) {
    const std::optional<uint64_t> u = v->AsUint();
    if (u && *u <= std::numeric_limits<uint32_t>::max()) return static_cast<uint32_t>(*u);
  }
  return KeyError(key, v, "an integer in [0, 2^32)");
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v != nullptr) {
    if (std::optional<double> d = v->AsDouble()) return *d;
  }
  return KeyError(key, v, "a float");
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v != nullptr) {
    if (std::optional<bool> b = v->AsBool()) return *b;
  }
  return KeyError(key, v, "a bool");
}

Result<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v != nullptr && v->AsString() != nullptr) return *v->AsString();
  return KeyError(key, v, "a string");
}

Result<std::vector<std::string>> GgufFile::GetStringArray(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v != nullptr && v->AsStringArray() != nullptr) return *v->AsStringArray();
  return KeyError(key, v, "an array of strings");
}

Result<std::vector<int64_t>> GgufFile::GetIntArray(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v != nullptr) {
    if (auto a = v->AsIntArray()) return std::move(*a);
  }
  return KeyError(key, v, "an array of integers");
}

Result<std::vector<double>> GgufFile::GetFloatArray(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v != nullptr) {
    if (auto a = v->AsDoubleArray()) return std::move(*a);
  }
  return KeyError(key, v, "an array of floats");
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

TensorView GgufFile::View(const GgufTensorInfo& info) const {
  return {info.dtype, info.shape, file_->data() + data_offset_ + info.offset};
}

Result<TensorView> GgufFile::Tensor(std::string_view name) const {
  const GgufTensorInfo* info = FindTensor(name);
  if (info == nullptr) {
    return NotFound(path() + ": tensor '" + std::string(name) + "' is not in the file");
  }
  return View(*info);
}

}  // namespace lieq
