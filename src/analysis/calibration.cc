#include "analysis/calibration.h"

#include <algorithm>
#include <numeric>

#include "core/rng.h"
#include "io/calibration_text.h"

namespace lieq {

Result<std::vector<std::vector<int32_t>>> SampleCalibration(const std::string& path,
                                                            const Tokenizer& tokenizer,
                                                            const CalibrationOptions& o,
                                                            int64_t* text_tokens) {
  if (o.samples < 1 || o.seq < 2) {
    return InvalidArgument("--samples must be ≥ 1 and --seq ≥ 2");
  }
  LIEQ_ASSIGN_OR_RETURN(std::vector<std::string> docs, ReadCalibrationDocuments(path));
  std::vector<size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng(o.seed);
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[static_cast<size_t>(rng.NextU64() % i)]);
  }
  const int64_t needed = o.samples * o.seq;
  std::vector<int32_t> stream;
  for (size_t i : order) {
    if (static_cast<int64_t>(stream.size()) >= needed) break;
    Result<std::vector<int32_t>> ids = tokenizer.Encode(docs[i] + "\n\n", /*add_special=*/false);
    if (!ids.ok()) return ids.status().WithContext(path);
    stream.insert(stream.end(), ids->begin(), ids->end());
  }
  if (text_tokens != nullptr) *text_tokens = static_cast<int64_t>(stream.size());
  if (stream.empty()) return InvalidArgument(path + ": no tokens to calibrate on");
  // A text shorter than samples·seq (e.g. the built-in one: 7.7 k Qwen3 tokens against the
  // default 16 × 512) is repeated, as quantize's random windows repeat it; callers say so.
  for (size_t i = 0; static_cast<int64_t>(stream.size()) < needed; ++i) stream.push_back(stream[i]);
  std::vector<std::vector<int32_t>> windows;
  for (int64_t s = 0; s < o.samples; ++s) {
    windows.emplace_back(stream.begin() + s * o.seq, stream.begin() + (s + 1) * o.seq);
  }
  return windows;
}

Result<int64_t> CommonWindowLength(std::span<const std::vector<int32_t>> samples) {
  if (samples.empty() || samples.front().empty()) {
    return InvalidArgument("no calibration samples");
  }
  const auto seq = static_cast<int64_t>(samples.front().size());
  for (const auto& s : samples) {
    if (static_cast<int64_t>(s.size()) != seq) {
      return InvalidArgument("calibration samples must all have the same length");
    }
  }
  return seq;
}

}  // namespace lieq
