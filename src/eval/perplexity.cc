#include "eval/perplexity.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "core/finite.h"
#include "kernels/ops.h"

namespace lieq {
namespace {

// Logits rows per MatMul when scoring: bounds memory to kLogitRows · V floats.
constexpr int64_t kLogitRows = 64;

}  // namespace

Result<PplResult> Perplexity(Transformer& model, std::span<const int32_t> tokens,
                             const PplOptions& options, const ForwardHooks* hooks) {
  const ModelConfig& c = model.config();
  const int64_t ctx = options.ctx;
  if (ctx < 2) return InvalidArgument("--ctx must be at least 2");
  int64_t windows = static_cast<int64_t>(tokens.size()) / ctx;
  if (windows == 0) {
    return InvalidArgument("the text has " + std::to_string(tokens.size()) +
                           " tokens, fewer than one window of " + std::to_string(ctx));
  }
  if (options.max_windows > 0) windows = std::min(windows, options.max_windows);
  // Positions whose next-token prediction is scored.
  const int64_t first = options.protocol == PplProtocol::kLlamaCpp ? ctx / 2 : 0;

  const auto start = std::chrono::steady_clock::now();
  KvCache cache(c, ctx);
  std::vector<float> hidden(static_cast<size_t>(ctx * c.hidden_size));
  std::vector<float> logits(static_cast<size_t>(kLogitRows * c.vocab_size));
  std::vector<int32_t> window(static_cast<size_t>(ctx));
  double sum = 0, sum_sq = 0;
  int64_t count = 0;
  for (int64_t w = 0; w < windows; ++w) {
    std::copy_n(tokens.begin() + w * ctx, ctx, window.begin());
    if (options.protocol == PplProtocol::kLlamaCpp && options.bos_id >= 0) window[0] = options.bos_id;
    cache.Clear();
    LIEQ_RETURN_IF_ERROR(model.Forward(window, cache, hidden.data(), hooks));
    for (int64_t p0 = first; p0 < ctx - 1; p0 += kLogitRows) {
      const int64_t rows = std::min(kLogitRows, ctx - 1 - p0);
      model.Logits(hidden.data() + p0 * c.hidden_size, rows, logits.data());
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = logits.data() + r * c.vocab_size;
        const double nll = LogSumExp(row, c.vocab_size) - row[window[static_cast<size_t>(p0 + r + 1)]];
        if (!std::isfinite(nll) && !options.allow_nonfinite) {
          const int64_t bad = FirstNonFinite({row, static_cast<size_t>(c.vocab_size)});
          return DataLoss(
              "window " + std::to_string(w) + ", position " + std::to_string(p0 + r) + " (token " +
              std::to_string(w * ctx + p0 + r) + " of the text): " +
              (bad >= 0
                   ? "logit of token id " + std::to_string(bad) + " is " +
                         NonFiniteName(DType::kF32, reinterpret_cast<const std::byte*>(row), bad)
                   : std::string("the loss is not finite")) +
              "; the model's weights or activations hold NaN/Inf (--allow-nonfinite goes on)");
        }
        sum += nll;
        sum_sq += nll * nll;
        ++count;
      }
    }
    if (options.progress) options.progress(w + 1, windows, std::exp(sum / count));
  }
  PplResult result;
  result.windows = windows;
  result.tokens_scored = count;
  result.tokens_processed = windows * ctx;
  result.mean_nll = sum / count;
  result.ppl = std::exp(result.mean_nll);
  const double variance = count > 1 ? (sum_sq / count - result.mean_nll * result.mean_nll) *
                                          count / (count - 1)
                                    : 0.0;
  result.ppl_stderr = result.ppl * std::sqrt(std::max(0.0, variance) / count);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace lieq
