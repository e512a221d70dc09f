// Calibration tokens for GPTQ/AWQ: seeded random windows from C4-style JSON lines, plain text
// or a folder of them (the formats of io/calibration_text.h, as `lieq diagnose`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/tokenizer.h"

namespace lieq {

struct CalibrationOptions {
  std::string file;        // io/calibration_text.h: JSON lines ({"text": ...}), text, folder
  int64_t samples = 128;   // windows
  int64_t seq_len = 2048;  // tokens a window
  int64_t num_docs = 500;  // only documents [0, num_docs) are used; the rest stay held out
  uint64_t seed = 0;
};

// Tokenizes documents [0, num_docs) (each followed by EOS when the tokenizer has one) into
// one stream and draws `samples` windows of `seq_len` tokens at seeded random offsets.
// Errors: unreadable file, a line without "text", invalid UTF-8, a stream shorter than one
// window. `stream_tokens`, when given, receives the stream's length (windows overlap when
// samples x seq_len exceeds it).
Result<std::vector<std::vector<int32_t>>> SampleCalibrationWindows(
    const Tokenizer& tokenizer, const CalibrationOptions& options,
    int64_t* stream_tokens = nullptr);

}  // namespace lieq
