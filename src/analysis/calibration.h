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
// A text with fewer tokens is repeated until it fills them (the windows then overlap); the
// text's own token count goes to `text_tokens` so callers can say so.
// Errors name the file (and line): unreadable, invalid JSON, no "text", no tokens at all.
Result<std::vector<std::vector<int32_t>>> SampleCalibration(const std::string& path,
                                                            const Tokenizer& tokenizer,
                                                            const CalibrationOptions& options,
                                                            int64_t* text_tokens = nullptr);

// The length every window shares; an error when there is none or the lengths differ (the
// measurements stack windows into one matrix).
Result<int64_t> CommonWindowLength(std::span<const std::vector<int32_t>> samples);

}  // namespace lieq
