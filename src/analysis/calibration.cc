#include "analysis/calibration.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "core/mapped_file.h"
#include "core/rng.h"

namespace lieq {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<std::vector<std::string>> ReadDocuments(const std::string& path) {
  LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  if (!EndsWith(path, ".jsonl") && !EndsWith(path, ".json")) return std::vector<std::string>{text};
  std::vector<std::string> docs;
  std::istringstream lines(text);
  std::string line;
  for (int64_t number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const std::string where = path + ":" + std::to_string(number);
    if (j.is_discarded()) return InvalidArgument(where + ": not valid JSON");
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      return InvalidArgument(where + ": no string field \"text\"");
    }
    docs.push_back(j["text"].get<std::string>());
  }
  return docs;
}

}  // namespace

Result<std::vector<std::vector<int32_t>>> SampleCalibration(const std::string& path,
                                                            const Tokenizer& tokenizer,
                                                            const CalibrationOptions& o) {
  if (o.samples < 1 || o.seq < 2) {
    return InvalidArgument("--samples must be ≥ 1 and --seq ≥ 2");
  }
  LIEQ_ASSIGN_OR_RETURN(std::vector<std::string> docs, ReadDocuments(path));
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
  if (static_cast<int64_t>(stream.size()) < needed) {
    return InvalidArgument(path + ": " + std::to_string(stream.size()) +
                           " tokens, fewer than --samples × --seq = " + std::to_string(needed));
  }
  std::vector<std::vector<int32_t>> windows;
  for (int64_t s = 0; s < o.samples; ++s) {
    windows.emplace_back(stream.begin() + s * o.seq, stream.begin() + (s + 1) * o.seq);
  }
  return windows;
}

}  // namespace lieq
