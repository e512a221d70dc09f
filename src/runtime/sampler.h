// Picks the next token from logits: greedy, or seeded sampling with temperature, top-k, top-p.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/rng.h"
#include "core/status.h"

namespace lieq {

struct SamplerOptions {
  double temperature = 0.0;  // 0 = greedy
  int64_t top_k = 40;        // 0 = all
  double top_p = 0.95;       // 1 = all
  uint64_t seed = 0;
  double repetition_penalty = 1.0;  // > 1 discourages tokens already in the context
};

// OK when every setting is in its range: temperature finite and ≥ 0, top_k ≥ 0, top_p in
// (0, 1], repetition_penalty finite and > 0. `source` names where they came from in the error
// ("generation_config.json", "the command line").
Status ValidateSamplerOptions(const SamplerOptions& options, const std::string& source);

// Hugging Face's repetition penalty (Keskar et al. 2019): for every token in `history`, a
// positive logit is divided by `penalty` and a negative one multiplied by it.
void ApplyRepetitionPenalty(std::span<float> logits, std::span<const int32_t> history,
                            double penalty);

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {}
  int32_t Sample(std::span<const float> logits);

 private:
  SamplerOptions options_;
  Rng rng_;
};

}  // namespace lieq
