// Non-throwing accessors over nlohmann::json for the tokenizer loaders: every type mismatch in
// a user's file becomes a Status naming the file and the JSON path.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/status.h"

namespace lieq::json_util {

using Json = nlohmann::json;

// The member `key` of `object`, or nullptr when `object` is not an object, lacks it, or it is
// null (Hugging Face writes null for "absent").
const Json* Member(const Json& object, const char* key);

// Parses `text`; bad JSON is kDataLoss "<file>: not valid JSON: ...".
Result<Json> Parse(std::string_view text, const std::string& file);

// Typed reads of optional members: absent -> nullopt, wrong type -> kDataLoss naming
// `file` and `where.key`.
Result<std::optional<std::string>> OptString(const Json& object, const char* key,
                                             const std::string& file, const std::string& where);
Result<std::optional<bool>> OptBool(const Json& object, const char* key, const std::string& file,
                                    const std::string& where);

// The member's name for error messages: "where.key", or "key" when `where` is empty.
std::string PathOf(const std::string& where, const char* key);

}  // namespace lieq::json_util
