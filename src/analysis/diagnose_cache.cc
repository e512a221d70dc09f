#include "analysis/diagnose_cache.h"

#include <cinttypes>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/hash64.h"
#include "core/mapped_file.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kFormat = "lieq-diagnose-cache";
constexpr int kVersion = 1;

std::string KeyHex(uint64_t key) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, key);
  return text;
}

// nlohmann writes NaN and ±inf as null; read null back as NaN.
bool GetDouble(const json& j, double* out) {
  if (j.is_null()) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (!j.is_number()) return false;
  *out = j.get<double>();
  return true;
}

bool GetDoubles(const json& j, size_t count, std::vector<double>* out) {
  if (!j.is_array() || j.size() != count) return false;
  out->resize(count);
  for (size_t i = 0; i < count; ++i) {
    if (!GetDouble(j[i], &(*out)[i])) return false;
  }
  return true;
}

std::optional<Projection> ProjectionFromName(const json& j) {
  if (!j.is_string()) return std::nullopt;
  for (Projection p : kAllProjections) {
    if (j.get<std::string>() == ProjectionName(p)) return p;
  }
  return std::nullopt;
}

// The header every file carries; false when it is not the expected unit.
bool HeaderMatches(const json& j, const char* kind, uint64_t key, int block) {
  return j.is_object() && j.value("format", "") == kFormat && j.value("version", 0) == kVersion &&
         j.value("kind", "") == kind && j.value("key", "") == KeyHex(key) && j.contains("block") &&
         j["block"].is_number_integer() && j["block"].get<int>() == block;
}

json Header(const char* kind, uint64_t key, int block) {
  return {{"format", kFormat},
          {"version", kVersion},
          {"kind", kind},
          {"key", KeyHex(key)},
          {"block", block}};
}

}  // namespace

uint64_t ModelWeightsDigest(const Model& model) {
  Hash64 h;
  h.Str("lieq model weights 1").Str(ArchName(model.config.arch));
  ModelWeights views = model.weights;  // views only: ForEachTensor wants a mutable one
  ForEachTensor(model.config, views, [&](TensorSlot& slot) {
    h.Str(slot.hf_name).U64(static_cast<uint64_t>(slot.view->dtype));
    for (int64_t dim : slot.view->shape) h.U64(static_cast<uint64_t>(dim));
    if (slot.view->data != nullptr) {
      h.Bytes(slot.view->data, static_cast<size_t>(slot.view->SizeBytes()));
    }
  });
  return h.digest();
}

uint64_t TokensDigest(std::span<const std::vector<int32_t>> windows) {
  Hash64 h;
  h.U64(windows.size());
  for (const auto& w : windows) h.Bytes(w.data(), w.size() * sizeof(int32_t));
  return h.digest();
}

Result<DiagnoseCache> DiagnoseCache::Open(std::string dir, std::FILE* log) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec)) {
    return IoError(dir + ": cannot create the cache folder" + (ec ? ": " + ec.message() : ""));
  }
  return DiagnoseCache(std::move(dir), log);
}

std::string DiagnoseCache::ProxyPath(uint64_t key, int block) const {
  return (fs::path(dir_) / (KeyHex(key) + "-proxy-block" + std::to_string(block) + ".json"))
      .string();
}

std::string DiagnoseCache::PplPath(uint64_t key, int block) const {
  const std::string unit = block < 0 ? "base" : "skip" + std::to_string(block);
  return (fs::path(dir_) / (KeyHex(key) + "-ppl-" + unit + ".json")).string();
}

std::string DiagnoseCache::KlPath(uint64_t key, int block, int bits) const {
  return (fs::path(dir_) / (KeyHex(key) + "-kl-block" + std::to_string(block) + "-b" +
                            std::to_string(bits) + ".json"))
      .string();
}

void DiagnoseCache::Warn(const std::string& message) const {
  if (log_ != nullptr) std::fprintf(log_, "warning: %s\n", message.c_str());
}

// Shared by both loaders: the parsed file, or nullopt (absent, or corrupt with a warning).
static std::optional<json> ReadCacheJson(const std::string& path,
                                         const std::function<void(const std::string&)>& warn) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) {
    warn(text.status().message() + " (cache file unreadable; measuring again)");
    return std::nullopt;
  }
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    warn(path + ": corrupt cache file (not JSON); measuring again");
    return std::nullopt;
  }
  return j;
}

std::optional<BlockCompactness> DiagnoseCache::LoadProxy(uint64_t key, int block, int blocks,
                                                         int twin_seeds) const {
  const std::string path = ProxyPath(key, block);
  std::optional<json> j = ReadCacheJson(path, [this](const std::string& m) { Warn(m); });
  if (!j) return std::nullopt;
  const auto corrupt = [&](const char* why) {
    Warn(path + ": corrupt cache file (" + why + "); measuring block " + std::to_string(block) +
         " again");
    return std::nullopt;
  };
  if (!HeaderMatches(*j, "proxy", key, block)) return corrupt("header does not match");
  BlockCompactness out;
  if (!j->contains("seconds") || !GetDouble((*j)["seconds"], &out.seconds)) {
    return corrupt("no seconds");
  }
  const json& units = j->value("units", json());
  if (!units.is_array() || units.empty()) return corrupt("no units");
  const auto seeds = static_cast<size_t>(twin_seeds);
  for (const json& u : units) {
    if (!u.is_object()) return corrupt("bad unit");
    UnitMetrics m;
    const std::optional<Projection> p = ProjectionFromName(u.value("projection", json()));
    if (!p) return corrupt("bad projection");
    m.projection = *p;
    if (!u.contains("head") || !u["head"].is_number_integer()) return corrupt("bad head");
    m.head = u["head"].get<int>();
    if (!u.contains("compact") || !GetDouble(u["compact"], &m.compact) || !u.contains("energy") ||
        !GetDouble(u["energy"], &m.energy) ||
        !GetDoubles(u.value("compact_twin", json()), seeds, &m.compact_twin) ||
        !GetDoubles(u.value("energy_twin", json()), seeds, &m.energy_twin)) {
      return corrupt("bad unit numbers");
    }
    out.units.push_back(std::move(m));
  }
  std::vector<double> inputs;
  if (!GetDoubles(j->value("input_compact", json()), out.input_compact.size(), &inputs)) {
    return corrupt("bad input_compact");
  }
  std::copy(inputs.begin(), inputs.end(), out.input_compact.begin());
  if (log_ != nullptr) std::fprintf(log_, "[proxy] block %d of %d: cached\n", block, blocks);
  return out;
}

void DiagnoseCache::StoreProxy(uint64_t key, int block, const BlockCompactness& result) const {
  json j = Header("proxy", key, block);
  j["seconds"] = result.seconds;
  json units = json::array();
  for (const UnitMetrics& u : result.units) {
    units.push_back({{"projection", ProjectionName(u.projection)},
                     {"head", u.head},
                     {"compact", u.compact},
                     {"energy", u.energy},
                     {"compact_twin", u.compact_twin},
                     {"energy_twin", u.energy_twin}});
  }
  j["units"] = std::move(units);
  j["input_compact"] = result.input_compact;
  const std::string path = ProxyPath(key, block);
  const Status s = WriteTextFileAtomically(path, j.dump() + "\n", WriteOptions{.overwrite = true});
  if (!s.ok()) Warn(s.message() + " (block " + std::to_string(block) + " not cached)");
}

std::optional<PplPass> DiagnoseCache::LoadPpl(uint64_t key, int block, int blocks) const {
  const std::string path = PplPath(key, block);
  std::optional<json> j = ReadCacheJson(path, [this](const std::string& m) { Warn(m); });
  if (!j) return std::nullopt;
  PplPass out;
  if (!HeaderMatches(*j, "ppl", key, block) || !j->contains("ppl") ||
      !GetDouble((*j)["ppl"], &out.ppl) || !j->contains("tokens_scored") ||
      !(*j)["tokens_scored"].is_number_integer()) {
    Warn(path + ": corrupt cache file (bad header or numbers); running the pass again");
    return std::nullopt;
  }
  out.tokens_scored = (*j)["tokens_scored"].get<int64_t>();
  if (log_ != nullptr) {
    if (block < 0) {
      std::fprintf(log_, "[ppl] base: cached ppl %.4f\n", out.ppl);
    } else {
      std::fprintf(log_, "[ppl] skip block %d of %d: cached ppl %.4f\n", block, blocks, out.ppl);
    }
  }
  return out;
}

void DiagnoseCache::StorePpl(uint64_t key, int block, const PplPass& pass) const {
  json j = Header("ppl", key, block);
  j["ppl"] = pass.ppl;
  j["tokens_scored"] = pass.tokens_scored;
  const std::string path = PplPath(key, block);
  const Status s = WriteTextFileAtomically(path, j.dump() + "\n", WriteOptions{.overwrite = true});
  if (!s.ok()) Warn(s.message() + " (perplexity pass not cached)");
}

std::optional<double> DiagnoseCache::LoadKl(uint64_t key, int block, int bits, int blocks) const {
  const std::string path = KlPath(key, block, bits);
  std::optional<json> j = ReadCacheJson(path, [this](const std::string& m) { Warn(m); });
  if (!j) return std::nullopt;
  double kl = 0;
  if (!HeaderMatches(*j, "kl", key, block) || !j->contains("bits") ||
      !(*j)["bits"].is_number_integer() || (*j)["bits"].get<int>() != bits || !j->contains("kl") ||
      !(*j)["kl"].is_number() || !GetDouble((*j)["kl"], &kl)) {
    Warn(path + ": corrupt cache file (bad header or numbers); measuring again");
    return std::nullopt;
  }
  if (log_ != nullptr) {
    std::fprintf(log_, "[kl] block %d of %d at %d bits: cached %.6g\n", block, blocks, bits, kl);
  }
  return kl;
}

void DiagnoseCache::StoreKl(uint64_t key, int block, int bits, double kl) const {
  json j = Header("kl", key, block);
  j["bits"] = bits;
  j["kl"] = kl;
  const std::string path = KlPath(key, block, bits);
  const Status s = WriteTextFileAtomically(path, j.dump() + "\n", WriteOptions{.overwrite = true});
  if (!s.ok()) Warn(s.message() + " (sensitivity not cached)");
}

}  // namespace lieq
