#include "quant/calibration.h"

#include "core/rng.h"
#include "io/calibration_text.h"

namespace lieq {

Result<std::vector<std::vector<int32_t>>> SampleCalibrationWindows(
    const Tokenizer& tokenizer, const CalibrationOptions& options, int64_t* stream_tokens) {
  LIEQ_ASSIGN_OR_RETURN(std::vector<std::string> documents,
                        ReadCalibrationDocuments(options.file, options.num_docs));
  std::vector<int32_t> stream;
  const auto docs = static_cast<int64_t>(documents.size());
  for (const std::string& text : documents) {
    Result<std::vector<int32_t>> tokens = tokenizer.Encode(text, false);
    if (!tokens.ok()) return tokens.status().WithContext(options.file);
    stream.insert(stream.end(), tokens->begin(), tokens->end());
    if (tokenizer.eos_id() >= 0) stream.push_back(tokenizer.eos_id());
  }
  const auto total = static_cast<int64_t>(stream.size());
  if (stream_tokens != nullptr) *stream_tokens = total;
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
