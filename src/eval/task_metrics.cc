#include "eval/task_metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace lieq {

int ArgMax(std::span<const double> values) {
  assert(!values.empty());
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[best]) best = i;
  }
  return static_cast<int>(best);
}

ChoiceOutcome ScoreChoices(std::span<const double> logliks, std::span<const int64_t> lengths,
                           int gold) {
  assert(logliks.size() == lengths.size());
  std::vector<double> normalised(logliks.size());
  for (size_t i = 0; i < logliks.size(); ++i) {
    // A zero-length choice divides by zero in the harness too; keep its order instead.
    normalised[i] = logliks[i] / static_cast<double>(std::max<int64_t>(lengths[i], 1));
  }
  return {ArgMax(logliks) == gold, ArgMax(normalised) == gold};
}

Estimate MeanWithStderr(std::span<const double> values) {
  const double n = static_cast<double>(values.size());
  if (values.empty()) return {};
  double sum = 0;
  for (const double v : values) sum += v;
  const double mean = sum / n;
  if (values.size() < 2) return {mean, 0};
  double squares = 0;
  for (const double v : values) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / (n - 1) / n)};
}

Estimate PerplexityOfLoglikelihoods(std::span<const double> logliks) {
  const Estimate mean = MeanWithStderr(logliks);
  const double ppl = std::exp(-mean.value);
  return {ppl, ppl * mean.std_error};
}

}  // namespace lieq
