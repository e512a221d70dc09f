// What one quantization run measured, for report.html: stage times, sizes, average bits and the
// perplexity of the FP and the quantized model. The pipeline fills it directly; `lieq report
// --summary` reads it from JSON. Every field is optional:
//   {
//     "model": "models/qwen3-0.6b",            // the input
//     "output": "out/qwen3-0.6b-2bit",          // what was written
//     "method": "gptq",                         // quantization back-end
//     "stages": [{"name": "calibration", "seconds": 12.5}, ...],
//     "size_bytes_before": 1503238553, "size_bytes_after": 402653184,
//     "avg_bits_linear": 2.25, "avg_bits_file": 2.61,
//     "ppl": {"text": "wikitext2-test.raw", "ctx": 512,
//             "fp": {"ppl": 20.1, "stderr": 0.2}, "quantized": {"ppl": 35.7, "stderr": 0.4}}
//   }
// Unknown fields are ignored; a field of the wrong type is an error naming the file and field.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace lieq {

struct StageTime {
  std::string name;
  double seconds = 0;
};

struct PplMeasurement {
  double ppl = 0;
  double standard_error = 0;  // 0: not known
};

struct PplComparison {
  std::string text;  // the evaluation text
  int64_t ctx = 0;   // window length in tokens (0: not known)
  std::optional<PplMeasurement> fp, quantized;
};

struct RunSummary {
  std::string model, output, method;
  std::vector<StageTime> stages;
  std::optional<int64_t> size_bytes_before, size_bytes_after;
  std::optional<double> avg_bits_linear, avg_bits_file;
  std::optional<PplComparison> ppl;  // only when an evaluation text was given
};

nlohmann::json RunSummaryToJson(const RunSummary& summary);
// `source` names the file in errors ("summary.json: \"stages\"[1].\"seconds\" is not a number").
Result<RunSummary> RunSummaryFromJson(const nlohmann::json& json, const std::string& source);

}  // namespace lieq
