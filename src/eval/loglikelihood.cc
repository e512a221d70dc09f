#include "eval/loglikelihood.h"

#include <algorithm>
#include <cmath>

#include "core/finite.h"
#include "kernels/ops.h"

namespace lieq {
namespace {

// Logit rows per lm_head product: bounds the logits buffer to kLogitRows · V floats.
constexpr int64_t kLogitRows = 64;

size_t CommonPrefixLength(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

Result<TokenizedRequest> EncodePair(const Tokenizer& tokenizer, const Request& request,
                                    bool add_bos) {
  auto encode = [&](std::string_view text, bool bos) -> Result<std::vector<int32_t>> {
    LIEQ_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer.Encode(text, /*add_special=*/false));
    if (bos) ids.insert(ids.begin(), tokenizer.bos_id());
    return ids;
  };
  TokenizedRequest out;
  if (request.context.empty()) {
    if (tokenizer.eos_id() < 0) return InvalidArgument("empty context and no end-of-text token");
    out.context = {tokenizer.eos_id()};
    LIEQ_ASSIGN_OR_RETURN(out.continuation, encode(request.continuation, false));
  } else {
    // Trailing whitespace of the context belongs to the continuation.
    const std::string_view full = request.context;
    const size_t last = full.find_last_not_of(" \t\n\r\v\f");
    const size_t end = last == std::string_view::npos ? 0 : last + 1;
    const std::string context(full.substr(0, end));
    const std::string continuation = std::string(full.substr(end)) + request.continuation;
    LIEQ_ASSIGN_OR_RETURN(std::vector<int32_t> whole, encode(context + continuation, add_bos));
    LIEQ_ASSIGN_OR_RETURN(out.context, encode(context, add_bos));
    // A context of only whitespace encodes to nothing: the end-of-text token stands in.
    if (out.context.empty() && tokenizer.eos_id() >= 0) out.context = {tokenizer.eos_id()};
    if (whole.size() > out.context.size()) {
      out.continuation.assign(whole.begin() + static_cast<int64_t>(out.context.size()),
                              whole.end());
    }
  }
  if (out.continuation.empty()) {
    return InvalidArgument("the continuation '" + request.continuation + "' has no tokens");
  }
  return out;
}

LoglikelihoodScorer::LoglikelihoodScorer(Transformer& model, int64_t max_length)
    : model_(model), max_length_(max_length) {}

void LoglikelihoodScorer::Reserve(int64_t n) {
  if (cache_ && cache_->capacity() >= n) return;
  const int64_t old = cache_ ? cache_->capacity() : 0;
  const int64_t capacity = std::min(max_length_, std::max(n, 2 * old));
  cache_ = std::make_unique<KvCache>(model_.config(), capacity);
  const size_t rows = static_cast<size_t>(capacity * model_.config().hidden_size);
  prefix_hidden_.resize(rows);
  rest_hidden_.resize(rows);
  scored_hidden_.resize(rows);
}

Result<RequestScore> LoglikelihoodScorer::ScoreRows(const float* hidden,
                                                    std::span<const int32_t> targets) {
  const int64_t d = model_.config().hidden_size;
  const int64_t V = model_.config().vocab_size;
  logits_.resize(static_cast<size_t>(kLogitRows * V));
  RequestScore score;
  score.greedy = true;
  const int64_t n = static_cast<int64_t>(targets.size());
  for (int64_t r0 = 0; r0 < n; r0 += kLogitRows) {
    const int64_t rows = std::min(kLogitRows, n - r0);
    model_.Logits(hidden + r0 * d, rows, logits_.data());
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = logits_.data() + r * V;
      const int32_t target = targets[static_cast<size_t>(r0 + r)];
      const double ll = row[target] - LogSumExp(row, V);
      if (!std::isfinite(ll) && !allow_nonfinite_) {
        const int64_t bad = FirstNonFinite({row, static_cast<size_t>(V)});
        return DataLoss(
            "continuation token " + std::to_string(r0 + r) + ": " +
            (bad >= 0 ? "logit of token id " + std::to_string(bad) + " is " +
                            NonFiniteName(DType::kF32, reinterpret_cast<const std::byte*>(row), bad)
                      : std::string("the log-likelihood is not finite")) +
            "; the model's weights or activations hold NaN/Inf (--allow-nonfinite "
            "goes on)");
      }
      score.loglikelihood += ll;
      score.greedy = score.greedy && std::max_element(row, row + V) - row == target;
    }
  }
  return score;
}

Result<std::vector<RequestScore>> LoglikelihoodScorer::Score(
    std::span<const TokenizedRequest> requests) {
  const int64_t d = model_.config().hidden_size;
  std::vector<std::vector<int32_t>> inputs;
  std::vector<RequestScore> scores(requests.size());
  int64_t longest = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    const TokenizedRequest& q = requests[r];
    const int64_t cont = static_cast<int64_t>(q.continuation.size());
    if (cont > max_length_) {
      return InvalidArgument("a continuation of " + std::to_string(cont) +
                             " tokens does not fit the model's " + std::to_string(max_length_) +
                             " positions");
    }
    std::vector<int32_t> full = q.context;
    full.insert(full.end(), q.continuation.begin(), q.continuation.end());
    const int64_t keep = std::min<int64_t>(static_cast<int64_t>(full.size()), max_length_ + 1);
    scores[r].truncated = keep < static_cast<int64_t>(full.size());
    inputs.emplace_back(full.end() - keep, full.end() - 1);
    longest = std::max(longest, keep - 1);
  }
  size_t prefix = inputs[0].size();
  for (const std::vector<int32_t>& input : inputs) {
    prefix = std::min(prefix, CommonPrefixLength(inputs[0], input));
  }
  const int64_t p = static_cast<int64_t>(prefix);
  Reserve(longest);
  cache_->Clear();
  if (p > 0) {
    LIEQ_RETURN_IF_ERROR(
        model_.Forward(std::span(inputs[0]).first(prefix), *cache_, prefix_hidden_.data()));
    tokens_run_ += p;
  }
  for (size_t r = 0; r < requests.size(); ++r) {
    const std::vector<int32_t>& input = inputs[r];
    const int64_t length = static_cast<int64_t>(input.size());
    cache_->Truncate(p);
    if (length > p) {
      LIEQ_RETURN_IF_ERROR(
          model_.Forward(std::span(input).subspan(prefix), *cache_, rest_hidden_.data()));
      tokens_run_ += length - p;
    }
    // Row i of the input predicts token i + 1 of context + continuation.
    const std::vector<int32_t>& targets = requests[r].continuation;
    const int64_t first = length - static_cast<int64_t>(targets.size());
    for (int64_t i = first; i < length; ++i) {
      const float* row = i < p ? prefix_hidden_.data() + i * d : rest_hidden_.data() + (i - p) * d;
      std::copy_n(row, d, scored_hidden_.data() + (i - first) * d);
    }
    const bool truncated = scores[r].truncated;
    Result<RequestScore> scored = ScoreRows(scored_hidden_.data(), targets);
    if (!scored.ok()) return scored.status().WithContext("request " + std::to_string(r));
    scores[r] = *scored;
    scores[r].truncated = truncated;
  }
  return scores;
}

}  // namespace lieq
