// Hugging Face config.json <-> ModelConfig.
#pragma once

#include <string>

#include "core/status.h"
#include "model/config.h"

namespace lieq {

// Parses the text of a config.json; `path` names the file in error messages.
Result<ModelConfig> ParseHfConfig(const std::string& text, const std::string& path);

// The config.json Hugging Face transformers writes for this config (torch_dtype as given).
std::string HfConfigJson(const ModelConfig& config, const std::string& torch_dtype);

}  // namespace lieq
