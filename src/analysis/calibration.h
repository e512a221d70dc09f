// Calibration windows for the proxy: seq-token windows drawn from a JSON-lines corpus (C4's
// {"text": ...} per line) or a plain text file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/tokenizer.h"

namespace lieq {

struct CalibrationOptions {
  int64_t samples = 16;  // windows
  int64_t seq = 512;     // tokens per window
  uint64_t seed = 0;     // document order
};

// The documents of `path` (io/calibration_text.h: JSON lines, plain text or a folder of them),
// shuffled with `seed`, tokenized without special tokens and concatenated (each followed by
// "\n\n") until samples·seq tokens are collected, then cut into consecutive windows.
// Errors name the file (and line): unreadable, invalid JSON, no "text", too few tokens.
Result<std::vector<std::vector<int32_t>>> SampleCalibration(const std::string& path,
                                                            const Tokenizer& tokenizer,
                                                            const CalibrationOptions& options);

// The length every window shares; an error when there is none or the lengths differ (the
// measurements stack windows into one matrix).
Result<int64_t> CommonWindowLength(std::span<const std::vector<int32_t>> samples);

}  // namespace lieq
