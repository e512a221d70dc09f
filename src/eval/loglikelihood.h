// lm-evaluation-harness's `loglikelihood` requests on the lieq engine: log P(continuation |
// context) summed over the continuation's tokens, and whether greedy decoding reproduces them.
//
// Tokenization follows the harness's HFLM._encode_pair: trailing whitespace of the context moves
// to the front of the continuation; the continuation's tokens are those of encode(context +
// continuation) after the first len(encode(context)) tokens, and the model reads
// encode(context) + those. BOS is prepended when the tokenizer adds one.
//
// Long inputs are left-truncated as the harness does: of context + continuation the last
// max_length + 1 tokens are kept and the last one is not fed.
//
// Requests of one item are scored together: their longest common prefix of input tokens runs
// once, then for each request the KV cache is truncated back to the prefix and only the rest
// runs (the prefix's last row scores a continuation's first token when the prefix is the whole
// context).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "eval/task.h"
#include "runtime/transformer.h"
#include "tokenizer/tokenizer.h"

namespace lieq {

struct TokenizedRequest {
  std::vector<int32_t> context;
  std::vector<int32_t> continuation;
};

// An empty context becomes the end-of-text token, as the harness's prefix token.
Result<TokenizedRequest> EncodePair(const Tokenizer& tokenizer, const Request& request,
                                    bool add_bos);

struct RequestScore {
  double loglikelihood = 0;  // sum over the continuation's tokens, natural log
  bool greedy = false;       // argmax at every continuation position is the continuation token
  bool truncated = false;    // the context was left-truncated to fit max_length
};

class LoglikelihoodScorer {
 public:
  // max_length: positions the model may see (the model's context length).
  LoglikelihoodScorer(Transformer& model, int64_t max_length);

  // Scores the requests of one item; errors: a continuation longer than max_length, or a
  // token the model cannot embed.
  Result<std::vector<RequestScore>> Score(std::span<const TokenizedRequest> requests);

  int64_t max_length() const { return max_length_; }
  int64_t tokens_run() const { return tokens_run_; }  // positions the model has run so far
  // false (default): a NaN/Inf logit is an error naming the request and position.
  void set_allow_nonfinite(bool allow) { allow_nonfinite_ = allow; }

 private:
  // Ensures room for n positions in the cache and n hidden rows in `buffer`.
  void Reserve(int64_t n);
  // Sum of log-softmax at `targets` and whether each is the argmax, over rows of `hidden`.
  Result<RequestScore> ScoreRows(const float* hidden, std::span<const int32_t> targets);

  Transformer& model_;
  int64_t max_length_;
  int64_t tokens_run_ = 0;
  bool allow_nonfinite_ = false;
  std::unique_ptr<KvCache> cache_;
  std::vector<float> prefix_hidden_, rest_hidden_, scored_hidden_, logits_;
};

}  // namespace lieq
