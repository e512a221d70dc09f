#include "quant/calibration.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/rng.h"

namespace lieq {

Result<std::vector<std::vector<int32_t>>> SampleCalibrationWindows(
    const Tokenizer& tokenizer, const CalibrationOptions& options) {
  std::ifstream in(options.file);
  if (!in) return NotFound(options.file + ": cannot open the calibration file");
  std::vector<int32_t> stream;
  std::string line;
  int64_t docs = 0;
  while (docs < options.num_docs && std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      return DataLoss(options.file + ": line " + std::to_string(docs + 1) +
                      " is not a JSON object with a \"text\" string");
    }
    Result<std::vector<int32_t>> tokens = tokenizer.Encode(j["text"].get<std::string>(), false);
    if (!tokens.ok()) return tokens.status().WithContext(options.file);
    stream.insert(stream.end(), tokens->begin(), tokens->end());
    if (tokenizer.eos_id() >= 0) stream.push_back(tokenizer.eos_id());
    ++docs;
  }
  const auto total = static_cast<int64_t>(stream.size());
  if (total < options.seq_len) {
    return InvalidArgument(options.file + ": " + std::to_string(docs) + " documents give " +
                           std::to_string(total) + " tokens, fewer than one window of " +
                           std::to_string(options.seq_len));
  }
  Rng rng(options.seed);
  std::vector<std::vector<int32_t>> windows;
  for (int64_t s = 0; s < options.samples; ++s) {
    const auto start =
        static_cast<int64_t>(rng.NextU64() % static_cast<uint64_t>(total - options.seq_len + 1));
    windows.emplace_back(stream.begin() + start, stream.begin() + start + options.seq_len);
  }
  return windows;
}

}  // namespace lieq
