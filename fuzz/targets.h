// Fuzz targets: one function per reader of untrusted input. Each takes arbitrary bytes, runs the
// reader on them and checks the invariants of whatever it accepts. For any input it returns
// normally (bad input must come back as an error Status); a crash, a sanitizer report, an
// uncaught exception or a violated invariant (which traps) is a bug.
//
// The libFuzzer harnesses (fuzz/main.cc, built with -DLIEQ_FUZZ=ON and clang) and the
// regression test (tests/reliability, normal and sanitizer builds) call the same functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace lieq::fuzz {

void Safetensors(const uint8_t* data, size_t size);    // SafetensorsFile::Open
void Gguf(const uint8_t* data, size_t size);           // GgufFile::Open, LoadGgufModel, tokenizer
void TokenizerJson(const uint8_t* data, size_t size);  // tokenizer.json [NUL tokenizer_config]
void HfConfig(const uint8_t* data, size_t size);       // config.json
void BitPlan(const uint8_t* data, size_t size);        // BitPlan JSON
// Zero-shot task files (src/eval/task_loaders.h): the first byte picks the format; PIQA and
// WinoGrande take "jsonl NUL labels".
void TaskFiles(const uint8_t* data, size_t size);
// Calibration text (src/io/calibration_text.h): byte 0 picks plain text, JSON lines or a folder
// (the rest split at NUL bytes into files, each file's first byte picking .txt or .jsonl) and
// the document limit; the file reader must agree with the in-memory parser.
void Calibration(const uint8_t* data, size_t size);

struct Target {
  std::string_view name;  // folder name under fuzz/corpus and fuzz/regressions
  void (*run)(const uint8_t* data, size_t size);
};
std::span<const Target> Targets();

}  // namespace lieq::fuzz
