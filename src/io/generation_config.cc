#include "io/generation_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace lieq {
namespace {

template <typename T>
Status ReadOptional(const nlohmann::json& json, const char* key, std::optional<T>& out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return Status::Ok();
  const bool type_ok = std::is_same_v<T, bool>      ? it->is_boolean()
                       : std::is_same_v<T, int64_t> ? it->is_number_integer()
                                                    : it->is_number();
  if (!type_ok) return InvalidArgument(std::string("field \"") + key + "\" has the wrong type");
  out = it->get<T>();
  return Status::Ok();
}

}  // namespace

Result<GenerationDefaults> ReadGenerationConfig(const std::string& folder) {
  namespace fs = std::filesystem;
  GenerationDefaults defaults;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return defaults;  // a GGUF file: no such file
  const std::string path = (fs::path(folder) / "generation_config.json").string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return defaults;
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return InvalidArgument(path + ": not a JSON object");
  }
  Status s = ReadOptional(json, "do_sample", defaults.do_sample);
  if (s.ok()) s = ReadOptional(json, "temperature", defaults.temperature);
  if (s.ok()) s = ReadOptional(json, "top_k", defaults.top_k);
  if (s.ok()) s = ReadOptional(json, "top_p", defaults.top_p);
  if (s.ok()) s = ReadOptional(json, "repetition_penalty", defaults.repetition_penalty);
  if (!s.ok()) return s.WithContext(path);
  return defaults;
}

}  // namespace lieq
