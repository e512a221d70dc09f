// Perplexity of a model on a token stream, by the two protocols users compare against.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "core/status.h"
#include "runtime/transformer.h"

namespace lieq {

enum class PplProtocol {
  kGptq,      // GPTQ/AWQ papers: non-overlapping windows of ctx tokens, every next token scored
  kLlamaCpp,  // llama-perplexity: windows of ctx tokens, first token set to BOS when the
              // tokenizer adds one, only the second half of each window scored
};

struct PplOptions {
  PplProtocol protocol = PplProtocol::kGptq;
  int64_t ctx = 2048;
  int64_t max_windows = 0;  // 0 = all
  int32_t bos_id = -1;      // llama.cpp protocol: replaces each window's first token if >= 0
  bool allow_nonfinite = false;  // false: a NaN/Inf logit is an error naming the position
  // Called after each window: (windows done, windows total, running perplexity).
  std::function<void(int64_t, int64_t, double)> progress;
};

struct PplResult {
  double ppl = 0;
  double ppl_stderr = 0;   // delta method: ppl · stderr(mean NLL)
  double mean_nll = 0;
  int64_t windows = 0;
  int64_t tokens_scored = 0;
  int64_t tokens_processed = 0;
  double seconds = 0;
};

Result<PplResult> Perplexity(Transformer& model, std::span<const int32_t> tokens,
                             const PplOptions& options, const ForwardHooks* hooks = nullptr);

}  // namespace lieq
