#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace lieq {

Status ValidateSamplerOptions(const SamplerOptions& o, const std::string& source) {
  auto bad = [&](const std::string& what) { return InvalidArgument(source + ": " + what); };
  if (!std::isfinite(o.temperature) || o.temperature < 0) {
    return bad("temperature " + std::to_string(o.temperature) + " must be a number >= 0");
  }
  if (o.top_k < 0) return bad("top_k " + std::to_string(o.top_k) + " must be >= 0");
  if (!(o.top_p > 0 && o.top_p <= 1)) {
    return bad("top_p " + std::to_string(o.top_p) + " must be in (0, 1]");
  }
  if (!std::isfinite(o.repetition_penalty) || o.repetition_penalty <= 0) {
    return bad("repetition_penalty " + std::to_string(o.repetition_penalty) + " must be > 0");
  }
  return Status::Ok();
}

void ApplyRepetitionPenalty(std::span<float> logits, std::span<const int32_t> history,
                            double penalty) {
  if (penalty == 1.0) return;
  std::vector<bool> seen(logits.size(), false);
  for (int32_t id : history) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size() || seen[id]) continue;
    seen[id] = true;  // HF penalises each distinct token once
    float& v = logits[static_cast<size_t>(id)];
    v = v > 0 ? static_cast<float>(v / penalty) : static_cast<float>(v * penalty);
  }
}

int32_t Sampler::Sample(std::span<const float> logits) {
  const auto greedy = [&] {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  };
  if (options_.temperature <= 0.0) return greedy();
  // Candidates sorted by logit (ties by id, so the order is deterministic).
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  const size_t k = options_.top_k > 0 ? std::min<size_t>(static_cast<size_t>(options_.top_k), ids.size())
                                      : ids.size();
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  ids.resize(k);
  std::vector<double> probs(k);
  const double max = logits[ids[0]];
  double sum = 0;
  for (size_t i = 0; i < k; ++i) sum += probs[i] = std::exp((logits[ids[i]] - max) / options_.temperature);
  // Nucleus: the smallest prefix whose mass reaches top_p.
  double mass = 0;
  size_t keep = k;
  for (size_t i = 0; i < k; ++i) {
    mass += probs[i] / sum;
    if (mass >= options_.top_p) { keep = i + 1; break; }
  }
  double kept_sum = 0;
  for (size_t i = 0; i < keep; ++i) kept_sum += probs[i];
  double r = rng_.Uniform() * kept_sum;
  for (size_t i = 0; i < keep; ++i) {
    r -= probs[i];
    if (r <= 0) return ids[i];
  }
  return ids[keep - 1];
}

}  // namespace lieq
