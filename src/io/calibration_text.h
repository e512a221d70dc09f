// The documents of a calibration (or other corpus) input, for every command that samples text
// from one (quantize, diagnose, plan). Formats:
//   - a folder: its regular files in name order (not recursive), each read as below;
//   - *.jsonl / *.json: one JSON object per line with a string field "text" (C4's layout),
//     each a document; blank lines are skipped;
//   - any other file: the whole file is one document.
// Every document must be valid UTF-8. At most kMaxTextFileBytes are read in all (a bigger
// input, or /dev/zero, is an error), and reading stops once `max_docs` documents are found.
// Errors name the file, the line (JSON lines) and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lieq {

// max_docs = 0: all documents.
Result<std::vector<std::string>> ReadCalibrationDocuments(const std::string& path,
                                                          int64_t max_docs = 0);

// The same for bytes already in memory, named `name` in errors (the fuzz harness's entry).
Result<std::vector<std::string>> ParseCalibrationDocuments(std::string_view bytes, bool json_lines,
                                                           const std::string& name,
                                                           int64_t max_docs = 0);

}  // namespace lieq
