#include "io/gguf_writer.h"

#include <cstring>

namespace lieq {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" as a little-endian u32
constexpr uint32_t kVersion = 3;
constexpr int kMaxDims = 4;  // GGML_MAX_DIMS
// Rows are gathered into chunks of about this size before each fwrite.
constexpr size_t kWriteChunkBytes = size_t{4} << 20;

// Serialises the header into a byte string (little-endian hosts only, as the reader).
class HeaderBuilder {
 public:
  template <typename T>
  void Put(T v) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &v, sizeof(T));
  }
  void PutString(const std::string& s) {
    Put<uint64_t>(s.size());
    bytes_.append(s);
  }
  void PutRaw(const std::vector<std::byte>& raw) {
    bytes_.append(reinterpret_cast<const char*>(raw.data()), raw.size());
  }
  // The value's payload, without its leading type id.
  void PutPayload(const GgufValue& v) {
    if (v.type() == GgufType::kString) return PutString(v.string());
    if (v.type() != GgufType::kArray) return PutRaw(v.raw());
    Put<uint32_t>(static_cast<uint32_t>(v.array_type()));
    Put<uint64_t>(v.array_size());
    if (const auto* strings = v.AsStringArray()) {
      for (const std::string& s : *strings) PutString(s);
    } else if (const auto* arrays = v.AsArrayOfArrays()) {
      for (const GgufValue& a : *arrays) PutPayload(a);
    } else {
      PutRaw(v.raw());
    }
  }
  void PadTo(uint64_t alignment) { bytes_.append(Padding(bytes_.size(), alignment), '\0'); }
  const std::string& bytes() const { return bytes_; }

  static uint64_t Padding(uint64_t offset, uint64_t alignment) {
    return (alignment - offset % alignment) % alignment;
  }

 private:
  std::string bytes_;
};

uint64_t TensorBytes(DType dtype, const Shape& shape) {
  const int64_t cols = shape.back();
  return static_cast<uint64_t>(RowBytes(dtype, cols)) *
         static_cast<uint64_t>(*CheckedNumElements(shape) / cols);
}

}  // namespace

void GgufWriter::Set(const std::string& key, GgufValue value) {
  auto [it, inserted] = metadata_index_.emplace(key, metadata_.size());
  if (inserted) {
    metadata_.emplace_back(key, std::move(value));
  } else {
    metadata_[it->second].second = std::move(value);
  }
}

Status GgufWriter::SetAlignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return InvalidArgument("GGUF alignment must be a power of two, got " +
                           std::to_string(alignment));
  }
  alignment_ = alignment;
  if (alignment != kGgufDefaultAlignment || metadata_index_.count("general.alignment")) {
    Set("general.alignment", GgufValue::U32(alignment));
  }
  return Status::Ok();
}

Status GgufWriter::AddTensor(const std::string& name, const TensorView& view) {
  const TensorView v = view;  // copied: the RowFn outlives the caller's reference
  const auto row_bytes = static_cast<size_t>(RowBytes(v.dtype, v.cols()));
  return AddTensor(name, v.dtype, v.shape, [v, row_bytes](int64_t row, std::byte* out) {
    std::memcpy(out, v.data + row * static_cast<int64_t>(row_bytes), row_bytes);
    return Status::Ok();
  });
}

Status GgufWriter::AddTensor(const std::string& name, DType dtype, const Shape& shape, RowFn fill) {
  const std::string where = "GGUF tensor '" + name + "'";
  if (shape.empty() || shape.size() > kMaxDims) {
    return InvalidArgument(where + ": " + std::to_string(shape.size()) +
                           " dimensions (1 to 4 allowed)");
  }
  for (int64_t d : shape) {
    if (d <= 0) {
      return InvalidArgument(where + ": non-positive dimension in " + ShapeToString(shape));
    }
  }
  if (!CheckedNumElements(shape)) return InvalidArgument(where + ": shape overflows");
  if (shape.back() % Info(dtype).block_size != 0) {
    return InvalidArgument(where + ": row length " + std::to_string(shape.back()) +
                           " is not a multiple of the " + std::string(Name(dtype)) +
                           " block size " + std::to_string(Info(dtype).block_size));
  }
  if (!tensor_index_.emplace(name, tensors_.size()).second) {
    return InvalidArgument(where + " added twice");
  }
  tensors_.push_back({name, dtype, shape, std::move(fill)});
  return Status::Ok();
}

Status GgufWriter::Write(const std::string& path, const WriteOptions& options) const {
  return WriteFileAtomically(path, options, [&](std::FILE* f) { return WriteTo(f, path); });
}

Status GgufWriter::WriteTo(std::FILE* f, const std::string& path) const {
  HeaderBuilder h;
  h.Put<uint32_t>(kMagic);
  h.Put<uint32_t>(kVersion);
  h.Put<uint64_t>(tensors_.size());
  h.Put<uint64_t>(metadata_.size());
  for (const auto& [key, value] : metadata_) {
    h.PutString(key);
    h.Put<uint32_t>(static_cast<uint32_t>(value.type()));
    h.PutPayload(value);
  }
  std::vector<uint64_t> sizes;
  uint64_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    h.PutString(t.name);
    h.Put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d) {
      h.Put<uint64_t>(static_cast<uint64_t>(*d));  // ggml's ne: innermost first
    }
    h.Put<uint32_t>(static_cast<uint32_t>(t.dtype));
    h.Put<uint64_t>(offset);
    sizes.push_back(TensorBytes(t.dtype, t.shape));
    offset += sizes.back() + HeaderBuilder::Padding(sizes.back(), alignment_);
  }
  h.PadTo(alignment_);

  auto put = [&](const void* data, size_t n) -> Status {
    if (n != 0 && std::fwrite(data, 1, n, f) != n) return IoError(path + ": short write");
    return Status::Ok();
  };
  LIEQ_RETURN_IF_ERROR(put(h.bytes().data(), h.bytes().size()));
  std::vector<std::byte> chunk;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const PendingTensor& t = tensors_[i];
    const auto row_bytes = static_cast<size_t>(RowBytes(t.dtype, t.shape.back()));
    const int64_t rows = *CheckedNumElements(t.shape) / t.shape.back();
    const size_t rows_per_chunk = std::max<size_t>(1, kWriteChunkBytes / row_bytes);
    chunk.resize(rows_per_chunk * row_bytes);
    for (int64_t r0 = 0; r0 < rows; r0 += static_cast<int64_t>(rows_per_chunk)) {
      const int64_t n = std::min<int64_t>(static_cast<int64_t>(rows_per_chunk), rows - r0);
      for (int64_t r = 0; r < n; ++r) {
        Status s = t.fill(r0 + r, chunk.data() + r * static_cast<int64_t>(row_bytes));
        if (!s.ok()) return s.WithContext(path + ": tensor '" + t.name + "'");
      }
      LIEQ_RETURN_IF_ERROR(put(chunk.data(), static_cast<size_t>(n) * row_bytes));
    }
    static const char kZeros[256] = {};
    // Pads to the next tensor; alignment can exceed 256, hence the loop.
    for (uint64_t pad = HeaderBuilder::Padding(sizes[i], alignment_); pad > 0;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(pad, sizeof(kZeros)));
      LIEQ_RETURN_IF_ERROR(put(kZeros, n));
      pad -= n;
    }
  }
  return Status::Ok();
}

}  // namespace lieq
