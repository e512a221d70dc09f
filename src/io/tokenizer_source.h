// Finds the tokenizer a user points at: a tokenizer.json, a model folder holding one, or a
// GGUF file with tokenizer.ggml.* metadata.
#pragma once

#include <string>

#include "core/status.h"
#include "tokenizer/tokenizer_spec.h"

namespace lieq {

Result<TokenizerSpec> LoadTokenizerSpec(const std::string& path);

}  // namespace lieq
