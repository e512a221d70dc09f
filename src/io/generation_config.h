// generation_config.json: the sampling defaults a Hugging Face model ships with (HF's
// generate() applies them unless the caller overrides them; so does `lieq generate`).
#pragma once

#include <optional>
#include <string>

#include "core/status.h"

namespace lieq {

struct GenerationDefaults {
  std::optional<bool> do_sample;
  std::optional<double> temperature;
  std::optional<int64_t> top_k;
  std::optional<double> top_p;
  std::optional<double> repetition_penalty;
};

// Reads `folder`/generation_config.json. A folder without one gives empty defaults; a file
// that is not a JSON object, or a field of the wrong type, is an error naming the file.
Result<GenerationDefaults> ReadGenerationConfig(const std::string& folder);

}  // namespace lieq
