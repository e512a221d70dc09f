#include "quant/block_cache.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/atomic_file.h"
#include "kernels/group_quant.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

// Both kinds of entry share the header; the magic tells them apart.
constexpr char kPackedMagic[8] = {'L', 'I', 'E', 'Q', 'B', 'L', 'K', '1'};
constexpr char kGridMagic[8] = {'L', 'I', 'E', 'Q', 'G', 'G', 'B', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 4 + 4 + 8 + 8;

template <typename T>
void Put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
void PutArray(std::string& out, const std::vector<T>& v) {
  if (v.empty()) return;  // an empty vector's data() may be null
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Bounds-checked reads over the file's bytes.
class Reader {
 public:
  Reader(const std::string& bytes, size_t pos) : bytes_(bytes), pos_(pos) {}
  template <typename T>
  bool Get(T* v) {
    if (bytes_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  template <typename T>
  bool GetArray(uint64_t count, std::vector<T>* v) {
    if (count > (bytes_.size() - pos_) / sizeof(T)) return false;
    v->resize(static_cast<size_t>(count));
    if (count == 0) return true;  // memcpy into an empty vector's null data() is undefined
    std::memcpy(v->data(), bytes_.data() + pos_, static_cast<size_t>(count) * sizeof(T));
    pos_ += static_cast<size_t>(count) * sizeof(T);
    return true;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  const std::string& bytes_;
  size_t pos_;
};

Status CorruptEntry(const std::string& path, const std::string& what) {
  return DataLoss(path + ": corrupt cached block: " + what);
}

// Writes header + payload to `path` atomically.
Status WriteEntry(const std::string& path, const char (&magic)[8], int block, uint64_t key,
                  uint32_t linears, uint32_t vectors, const std::string& payload) {
  std::string bytes(magic, sizeof magic);
  Put(bytes, kVersion);
  Put(bytes, static_cast<uint32_t>(block));
  Put(bytes, key);
  Put(bytes, linears);
  Put(bytes, vectors);
  Put(bytes, static_cast<uint64_t>(payload.size()));
  Put(bytes, CacheHasher().Str(payload).digest());
  bytes += payload;
  return WriteFileAtomically(path, WriteOptions{.overwrite = true}, [&](std::FILE* f) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
      return IoError(path + ": short write");
    return Status::Ok();
  });
}

// The checked contents of an entry: its bytes, where the payload starts, and its counts.
struct Entry {
  std::string bytes;
  uint32_t linears = 0, vectors = 0;
};

// false when there is no file; an error when it is there but is not a sound entry of this
// magic, block and key (header, size and payload hash are checked).
Result<bool> ReadEntry(const std::string& path, const char (&magic)[8], int block, uint64_t key,
                       Entry* entry) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open the cached block");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto corrupt = [&](const std::string& what) { return CorruptEntry(path, what); };
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), magic, sizeof magic) != 0) {
    return corrupt("no " + std::string(magic, sizeof magic) + " header");
  }
  Reader header(bytes, sizeof magic);
  uint32_t version = 0, stored_block = 0;
  uint64_t stored_key = 0, payload_bytes = 0, payload_hash = 0;
  if (!header.Get(&version) || !header.Get(&stored_block) || !header.Get(&stored_key) ||
      !header.Get(&entry->linears) || !header.Get(&entry->vectors) || !header.Get(&payload_bytes) ||
      !header.Get(&payload_hash)) {
    return corrupt("truncated header");
  }
  if (version != kVersion) return corrupt("version " + std::to_string(version));
  if (stored_block != static_cast<uint32_t>(block) || stored_key != key)
    return corrupt("the header names another block or key");
  if (payload_bytes != bytes.size() - kHeaderBytes) {
    return corrupt("payload of " + std::to_string(bytes.size() - kHeaderBytes) +
                   " bytes, header says " + std::to_string(payload_bytes));
  }
  if (CacheHasher().Bytes(bytes.data() + kHeaderBytes, payload_bytes).digest() != payload_hash)
    return corrupt("payload hash mismatch");
  entry->bytes = std::move(bytes);
  return true;
}

}  // namespace

Status BlockCache::Open() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_, ec)) {
    return IoError(dir_ + ": cannot create the cache folder" + (ec ? ": " + ec.message() : ""));
  }
  return Status::Ok();
}

std::string BlockCache::PathFor(int block, uint64_t key, const char* suffix) const {
  char name[64];
  std::snprintf(name, sizeof name, "%016" PRIx64 "-block%d.%s", key, block, suffix);
  return (fs::path(dir_) / name).string();
}

Status BlockCache::Store(int block, uint64_t key, const CachedBlock& result) const {
  std::string payload;
  for (const PackedLinear& q : result.linears) {
    Put(payload, static_cast<int32_t>(q.bits));
    Put(payload, static_cast<int32_t>(q.group_size));
    Put(payload, q.rows);
    Put(payload, q.cols);
    Put(payload, static_cast<uint64_t>(q.codes.size()));
    Put(payload, static_cast<uint64_t>(q.scales.size()));
    Put(payload, static_cast<uint64_t>(q.zeros.size()));
    PutArray(payload, q.codes);
    PutArray(payload, q.scales);
    PutArray(payload, q.zeros);
  }
  for (const std::vector<float>& v : result.vectors) {
    Put(payload, static_cast<uint64_t>(v.size()));
    PutArray(payload, v);
  }
  return WriteEntry(PathFor(block, key), kPackedMagic, block, key,
                    static_cast<uint32_t>(result.linears.size()),
                    static_cast<uint32_t>(result.vectors.size()), payload);
}

Result<bool> BlockCache::Load(int block, uint64_t key, const CachedBlockShape& expect,
                              CachedBlock* out) const {
  const std::string path = PathFor(block, key);
  Entry entry;
  LIEQ_ASSIGN_OR_RETURN(const bool found, ReadEntry(path, kPackedMagic, block, key, &entry));
  if (!found) return false;
  const std::string& bytes = entry.bytes;
  const uint32_t linears = entry.linears, vectors = entry.vectors;
  auto corrupt = [&](const std::string& what) { return CorruptEntry(path, what); };
  if (linears != expect.linears.size() || vectors != expect.vector_sizes.size())
    return corrupt("holds " + std::to_string(linears) + " layers and " + std::to_string(vectors) +
                   " vectors, expected " + std::to_string(expect.linears.size()) + " and " +
                   std::to_string(expect.vector_sizes.size()));

  Reader r(bytes, kHeaderBytes);
  CachedBlock result;
  result.linears.resize(linears);
  for (uint32_t i = 0; i < linears; ++i) {
    PackedLinear& q = result.linears[i];
    int32_t bits = 0, group = 0;
    uint64_t codes = 0, scales = 0, zeros = 0;
    if (!r.Get(&bits) || !r.Get(&group) || !r.Get(&q.rows) || !r.Get(&q.cols) || !r.Get(&codes) ||
        !r.Get(&scales) || !r.Get(&zeros)) {
      return corrupt("truncated layer " + std::to_string(i));
    }
    q.bits = bits;
    q.group_size = group;
    const auto [rows, cols] = expect.linears[i];
    if (bits != expect.bits || group != expect.group_size || q.rows != rows || q.cols != cols) {
      return corrupt("layer " + std::to_string(i) + " is not " + std::to_string(rows) + "x" +
                     std::to_string(cols) + " at " + std::to_string(expect.bits) + " bits, group " +
                     std::to_string(expect.group_size));
    }
    const auto want_codes = static_cast<uint64_t>(rows * PackedRowBytes(bits, cols));
    const auto want_groups = static_cast<uint64_t>(rows * (cols / group));
    if (codes != want_codes || scales != want_groups || zeros != want_groups)
      return corrupt("layer " + std::to_string(i) + " has the wrong number of codes or groups");
    if (!r.GetArray(codes, &q.codes) || !r.GetArray(scales, &q.scales) ||
        !r.GetArray(zeros, &q.zeros)) {
      return corrupt("truncated layer " + std::to_string(i));
    }
  }
  result.vectors.resize(vectors);
  for (uint32_t i = 0; i < vectors; ++i) {
    uint64_t n = 0;
    if (!r.Get(&n)) return corrupt("truncated vector " + std::to_string(i));
    if (n != 0 && n != static_cast<uint64_t>(expect.vector_sizes[i]))
      return corrupt("vector " + std::to_string(i) + " has " + std::to_string(n) + " values");
    if (!r.GetArray(n, &result.vectors[i])) return corrupt("truncated vector " + std::to_string(i));
  }
  if (!r.done()) return corrupt("trailing bytes");
  *out = std::move(result);
  return true;
}

Status BlockCache::StoreGrid(int block, uint64_t key, const CachedGridBlock& result) const {
  std::string payload;
  for (const GridQuantizedLinear& q : result.linears) {
    Put(payload, static_cast<uint32_t>(q.type));
    Put(payload, q.rows);
    Put(payload, q.cols);
    Put(payload, static_cast<uint64_t>(q.data.size()));
    PutArray(payload, q.data);
  }
  return WriteEntry(PathFor(block, key, "lqg"), kGridMagic, block, key,
                    static_cast<uint32_t>(result.linears.size()), 0, payload);
}

Result<bool> BlockCache::LoadGrid(int block, uint64_t key,
                                  const std::vector<GridQuantizedLinear>& expect,
                                  CachedGridBlock* out) const {
  const std::string path = PathFor(block, key, "lqg");
  Entry entry;
  LIEQ_ASSIGN_OR_RETURN(const bool found, ReadEntry(path, kGridMagic, block, key, &entry));
  if (!found) return false;
  auto corrupt = [&](const std::string& what) { return CorruptEntry(path, what); };
  if (entry.linears != expect.size() || entry.vectors != 0) {
    return corrupt("holds " + std::to_string(entry.linears) + " layers, expected " +
                   std::to_string(expect.size()));
  }
  Reader r(entry.bytes, kHeaderBytes);
  CachedGridBlock result;
  result.linears.resize(expect.size());
  for (size_t i = 0; i < expect.size(); ++i) {
    GridQuantizedLinear& q = result.linears[i];
    uint32_t type = 0;
    uint64_t size = 0;
    if (!r.Get(&type) || !r.Get(&q.rows) || !r.Get(&q.cols) || !r.Get(&size)) {
      return corrupt("truncated layer " + std::to_string(i));
    }
    const GridQuantizedLinear& want = expect[i];
    if (type != static_cast<uint32_t>(want.type) || q.rows != want.rows || q.cols != want.cols) {
      return corrupt("layer " + std::to_string(i) + " is not " + std::to_string(want.rows) + "x" +
                     std::to_string(want.cols) + " " + std::string(Name(want.type)));
    }
    q.type = want.type;
    if (size != static_cast<uint64_t>(want.rows * RowBytes(want.type, want.cols)))
      return corrupt("layer " + std::to_string(i) + " has " + std::to_string(size) + " bytes");
    if (!r.GetArray(size, &q.data)) return corrupt("truncated layer " + std::to_string(i));
  }
  if (!r.done()) return corrupt("trailing bytes");
  *out = std::move(result);
  return true;
}

}  // namespace lieq
