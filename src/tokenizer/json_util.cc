#include "tokenizer/json_util.h"

namespace lieq::json_util {

const Json* Member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<Json> Parse(std::string_view text, const std::string& file) {
  // nlohmann reports parse errors by exception; it is caught here and never escapes.
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return DataLoss(file + ": not valid JSON: " + e.what());
  }
}

std::string PathOf(const std::string& where, const char* key) {
  return where.empty() ? std::string(key) : where + "." + key;
}

Result<std::optional<std::string>> OptString(const Json& object, const char* key,
                                             const std::string& file, const std::string& where) {
  const Json* v = Member(object, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return DataLoss(file + ": " + PathOf(where, key) + " is not a string");
  return std::optional<std::string>(v->get<std::string>());
}

Result<std::optional<bool>> OptBool(const Json& object, const char* key, const std::string& file,
                                    const std::string& where) {
  const Json* v = Member(object, key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_boolean()) return DataLoss(file + ": " + PathOf(where, key) + " is not true/false");
  return std::optional<bool>(v->get<bool>());
}

}  // namespace lieq::json_util
