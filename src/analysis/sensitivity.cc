#include "analysis/sensitivity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "analysis/calibration.h"
#include "core/half.h"
#include "runtime/kv_cache.h"

namespace lieq {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Keep the FP model's log-probabilities (in double: float rounding alone would add ~1e-9 nats,
// the size of an 8-bit block's KL) when they take at most this much memory.
constexpr int64_t kMaxReferenceBytes = int64_t{256} << 20;
// The widths the quantizers support (plan/bit_plan.h's kSupportedBits; lieq_analysis comes
// before lieq_plan).
constexpr int kWidths[] = {2, 3, 4, 8};
// Rows of logits computed at once.
constexpr int64_t kLogitRows = 64;

// log softmax of one row, in double.
void LogSoftmax(const float* logits, int64_t vocab, double* out) {
  double max = -std::numeric_limits<double>::infinity();
  for (int64_t v = 0; v < vocab; ++v) max = std::max(max, static_cast<double>(logits[v]));
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(logits[v]) - max);
  const double log_z = max + std::log(sum);
  for (int64_t v = 0; v < vocab; ++v) out[v] = static_cast<double>(logits[v]) - log_z;
}

// Σ_v p (log p − log q) for one row given both log-probabilities.
double KlRow(const double* log_p, const double* log_q, int64_t vocab) {
  double kl = 0;
  for (int64_t v = 0; v < vocab; ++v) kl += std::exp(log_p[v]) * (log_p[v] - log_q[v]);
  return std::max(kl, 0.0);  // ≥ 0 up to rounding
}

// The FP reference for every scored position: log-probabilities [N, V], or the final hidden
// states [N, d] from which they are recomputed.
struct Reference {
  bool log_probs = false;
  std::vector<float> hidden;     // [N, d] when !log_probs
  std::vector<double> log_prob;  // [N, V] when log_probs
};

// Σ over rows of KL(reference ‖ test) for `rows` positions starting at `row0`; `hidden` [rows, d]
// are the test model's final hidden states.
double SumKl(Transformer& t, ThreadPool& pool, const Reference& ref, int64_t row0,
             const float* hidden, int64_t rows, std::vector<float>& logits,
             std::vector<float>& ref_logits) {
  const ModelConfig& c = t.config();
  const int64_t V = c.vocab_size, d = c.hidden_size;
  double sum = 0;
  std::vector<double> per_row;
  for (int64_t r0 = 0; r0 < rows; r0 += kLogitRows) {
    const int64_t n = std::min(kLogitRows, rows - r0);
    logits.resize(static_cast<size_t>(n * V));
    t.Logits(hidden + r0 * d, n, logits.data());
    if (!ref.log_probs) {
      ref_logits.resize(static_cast<size_t>(n * V));
      t.Logits(ref.hidden.data() + (row0 + r0) * d, n, ref_logits.data());
    }
    per_row.assign(static_cast<size_t>(n), 0.0);
    pool.ParallelFor(n, [&](int64_t i) {
      std::vector<double> log_p(static_cast<size_t>(V)), log_q(static_cast<size_t>(V));
      const double* lp = log_p.data();
      if (ref.log_probs) {
        lp = ref.log_prob.data() + (row0 + r0 + i) * V;
      } else {
        LogSoftmax(ref_logits.data() + i * V, V, log_p.data());
      }
      LogSoftmax(logits.data() + i * V, V, log_q.data());
      per_row[static_cast<size_t>(i)] = KlRow(lp, log_q.data(), V);
    });
    for (double k : per_row) sum += k;  // in row order: independent of the thread count
  }
  return sum;
}

}  // namespace

double MeanKlFromLogits(const float* ref, const float* test, int64_t rows, int64_t vocab) {
  std::vector<double> log_p(static_cast<size_t>(vocab)), log_q(static_cast<size_t>(vocab));
  double sum = 0;
  for (int64_t r = 0; r < rows; ++r) {
    LogSoftmax(ref + r * vocab, vocab, log_p.data());
    LogSoftmax(test + r * vocab, vocab, log_q.data());
    sum += KlRow(log_p.data(), log_q.data(), vocab);
  }
  return rows > 0 ? sum / static_cast<double>(rows) : 0;
}

Result<SensitivityResult> MeasureSensitivity(Model& model, ThreadPool& pool,
                                             std::span<const std::vector<int32_t>> samples,
                                             const BlockQuantizerFn& quantize,
                                             const std::string& method,
                                             const SensitivityOptions& o) {
  const auto start = Clock::now();
  const ModelConfig& c = model.config;
  LIEQ_ASSIGN_OR_RETURN(const int64_t seq, CommonWindowLength(samples));
  if (o.widths.empty()) return InvalidArgument("--sensitivity-bits names no width");
  for (size_t i = 0; i < o.widths.size(); ++i) {
    const int b = o.widths[i];
    if (std::find(std::begin(kWidths), std::end(kWidths), b) == std::end(kWidths)) {
      return InvalidArgument("--sensitivity-bits: width " + std::to_string(b) +
                             " is not supported (2, 3, 4, 8)");
    }
    if (std::find(o.widths.begin(), o.widths.begin() + static_cast<int64_t>(i), b) !=
        o.widths.begin() + static_cast<int64_t>(i)) {
      return InvalidArgument("--sensitivity-bits: width " + std::to_string(b) + " is repeated");
    }
  }
  for (const BlockWeights& b : model.weights.blocks) {
    for (Projection p : kAllProjections) {
      if (b.linear(p).is_packed() || b.linear(p).w.data == nullptr) {
        return InvalidArgument(model.source_path +
                               ": sensitivity needs the unquantized model (a block is packed)");
      }
    }
  }

  Transformer t(model, pool);
  const int64_t d = c.hidden_size, V = c.vocab_size;
  const auto S = static_cast<int64_t>(samples.size());
  const int64_t N = S * seq;
  std::vector<float> x(static_cast<size_t>(N * d));  // FP residual streams entering block l
  for (int64_t s = 0; s < S; ++s) {
    LIEQ_RETURN_IF_ERROR(t.Embed(samples[static_cast<size_t>(s)], x.data() + s * seq * d));
  }
  // Never advanced: every window runs at positions 0..seq-1, one block at a time.
  KvCache cache = KvCache::SharedAcrossBlocks(c, seq);
  const auto L = static_cast<int>(c.num_layers);

  SensitivityResult result;
  result.widths = o.widths;
  result.method = method;
  result.tokens = N;
  const size_t W = o.widths.size();
  result.kl.assign(static_cast<size_t>(L),
                   std::vector<double>(W, std::numeric_limits<double>::quiet_NaN()));
  int last_measured = -1;
  for (int l = 0; l < L; ++l) {
    for (size_t w = 0; w < W; ++w) {
      std::optional<double> hit = o.load ? o.load(l, o.widths[w]) : std::nullopt;
      if (hit) {
        result.kl[static_cast<size_t>(l)][w] = *hit;
      } else {
        last_measured = l;
      }
    }
  }
  if (last_measured < 0) {
    result.seconds = SecondsSince(start);
    return result;
  }

  std::vector<float> window(static_cast<size_t>(seq * d)), hidden(static_cast<size_t>(seq * d));
  std::vector<float> logits, ref_logits;
  Reference ref;
  ref.log_probs = N * V * static_cast<int64_t>(sizeof(double)) <= kMaxReferenceBytes;
  (ref.log_probs ? ref.log_prob.resize(static_cast<size_t>(N * V))
                 : ref.hidden.resize(static_cast<size_t>(N * d)));
  for (int64_t s = 0; s < S; ++s) {  // the FP model's reference
    std::copy_n(x.begin() + s * seq * d, seq * d, window.begin());
    for (int l = 0; l < L; ++l) t.Block(l, window.data(), seq, cache);
    if (!ref.log_probs) {
      t.FinalNorm(window.data(), seq, ref.hidden.data() + s * seq * d);
      continue;
    }
    t.FinalNorm(window.data(), seq, hidden.data());
    for (int64_t r0 = 0; r0 < seq; r0 += kLogitRows) {
      const int64_t n = std::min(kLogitRows, seq - r0);
      logits.resize(static_cast<size_t>(n * V));
      t.Logits(hidden.data() + r0 * d, n, logits.data());
      for (int64_t i = 0; i < n; ++i) {
        LogSoftmax(logits.data() + i * V, V, ref.log_prob.data() + (s * seq + r0 + i) * V);
      }
    }
  }

  for (int l = 0; l <= last_measured; ++l) {
    BlockWeights& block = model.weights.blocks[static_cast<size_t>(l)];
    // The quantizer sees its inputs as quantize's calibration holds them between blocks
    // (quant/block_calibrator.h): rounded to BF16.
    const auto run_block = [&](const ForwardHooks& hooks) {
      for (int64_t s = 0; s < S; ++s) {
        std::transform(x.begin() + s * seq * d, x.begin() + (s + 1) * seq * d, window.begin(),
                       RoundToBf16);
        t.Block(l, window.data(), seq, cache, &hooks);
      }
    };
    for (size_t w = 0; w < W; ++w) {
      if (!std::isnan(result.kl[static_cast<size_t>(l)][w])) continue;
      const auto pass_start = Clock::now();
      const int bits = o.widths[w];
      Result<std::vector<std::vector<float>>> q = quantize(l, bits, run_block);
      if (!q.ok()) {
        return q.status().WithContext("block " + std::to_string(l) + " at " + std::to_string(bits) +
                                      " bits");
      }
      if (q->size() != std::size(kAllProjections)) {
        return InvalidArgument("the block quantizer returned " + std::to_string(q->size()) +
                               " layers, expected 7");
      }
      std::vector<OwnedTensor> swapped;
      std::vector<TensorView> original;
      for (Projection p : kAllProjections) {
        TensorView& view = block.linear(p).w;
        const std::vector<float>& values = (*q)[static_cast<size_t>(p)];
        if (static_cast<int64_t>(values.size()) != view.NumElements()) {
          return InvalidArgument("the block quantizer returned a layer of the wrong size");
        }
        OwnedTensor owned = OwnedTensor::Zeros(DType::kF32, view.shape);
        std::memcpy(owned.f32(), values.data(), values.size() * sizeof(float));
        swapped.push_back(std::move(owned));
      }
      for (Projection p : kAllProjections) {  // only now: nothing below can fail
        original.push_back(block.linear(p).w);
        block.linear(p).w = swapped[static_cast<size_t>(p)].view();
      }
      double sum = 0;
      for (int64_t s = 0; s < S; ++s) {
        std::copy_n(x.begin() + s * seq * d, seq * d, window.begin());
        for (int k = l; k < L; ++k) t.Block(k, window.data(), seq, cache);
        t.FinalNorm(window.data(), seq, hidden.data());
        sum += SumKl(t, pool, ref, s * seq, hidden.data(), seq, logits, ref_logits);
      }
      for (Projection p : kAllProjections) {
        block.linear(p).w = original[static_cast<size_t>(p)];
      }
      const double kl = sum / static_cast<double>(N);
      result.kl[static_cast<size_t>(l)][w] = kl;
      if (o.store) o.store(l, bits, kl);
      if (o.progress) o.progress(l, bits, kl, SecondsSince(pass_start));
    }
    if (l < last_measured) {
      for (int64_t s = 0; s < S; ++s) t.Block(l, x.data() + s * seq * d, seq, cache);
    }
  }
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace lieq
