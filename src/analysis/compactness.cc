#include "analysis/compactness.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "analysis/calibration.h"
#include "analysis/gram.h"
#include "analysis/spectrum.h"
#include "core/rng.h"
#include "kernels/blas_threads.h"
#include "kernels/matmul.h"
#include "runtime/kv_cache.h"
#include "runtime/transformer.h"

namespace lieq {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double Mean(std::span<const double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// The first `seeds` entries (all when seeds <= 0 or more than there are).
std::span<const double> FirstSeeds(const std::vector<double>& v, int seeds) {
  const size_t n = seeds <= 0 ? v.size() : std::min(v.size(), static_cast<size_t>(seeds));
  return {v.data(), n};
}

// Which input Gram a projection reads: q, k, v share the attention input; gate, up the MLP's.
enum class Input { kAttention, kAttentionOutput, kMlp, kMlpHidden };
Input InputOf(Projection p) {
  switch (p) {
    case Projection::kQ:
    case Projection::kK:
    case Projection::kV:
      return Input::kAttention;
    case Projection::kO:
      return Input::kAttentionOutput;
    case Projection::kGate:
    case Projection::kUp:
      return Input::kMlp;
    case Projection::kDown:
      return Input::kMlpHidden;
  }
  return Input::kAttention;
}

// W [rows, cols] widened to double.
std::vector<double> WeightAsDouble(const TensorView& w) {
  const int64_t rows = w.rows(), cols = w.cols();
  std::vector<float> f(static_cast<size_t>(rows * cols));
  RowsToF32(w, 0, rows, f.data());
  return {f.begin(), f.end()};
}

// W̃ [rows, cols] ~ N(0, std²), seeded per (seed, block, projection, twin).
std::vector<double> RandomTwin(int64_t rows, int64_t cols, double std, uint64_t seed, int block,
                               Projection p, int twin) {
  const uint64_t stream = (static_cast<uint64_t>(block) * 8 + static_cast<uint64_t>(p)) * 1024 +
                          static_cast<uint64_t>(twin);
  Rng rng(seed ^ (0x9e3779b97f4a7c15ull * (stream + 1)));
  std::vector<double> w(static_cast<size_t>(rows * cols));
  for (double& x : w) x = std * rng.Normal();
  return w;
}

// Columns [c0, c0 + n) of W [rows, cols], as a contiguous [rows, n].
std::vector<double> Columns(const std::vector<double>& w, int64_t rows, int64_t cols, int64_t c0,
                            int64_t n) {
  std::vector<double> out(static_cast<size_t>(rows * n));
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(w.begin() + r * cols + c0, n, out.begin() + r * n);
  }
  return out;
}

// One unit's statistics for the real weight and every twin: σ² → Compact, E_k.
void MeasureUnit(const double* w, const std::vector<const double*>& twins, int64_t rows, Gram& gram,
                 int64_t top_k, UnitMetrics& unit) {
  const std::vector<double> s = OutputSpectrum(w, rows, gram);
  unit.compact = Compactness(s);
  unit.energy = TopKEnergy(s, top_k);
  for (const double* t : twins) {
    const std::vector<double> st = OutputSpectrum(t, rows, gram);
    unit.compact_twin.push_back(Compactness(st));
    unit.energy_twin.push_back(TopKEnergy(st, top_k));
  }
}

// All units of projection p in one block.
void MeasureProjection(const ModelConfig& c, const Linear& layer, Projection p, int block,
                       Gram& gram, const CompactnessOptions& o, double twin_std,
                       std::vector<UnitMetrics>& units) {
  const int64_t rows = layer.w.rows(), cols = layer.w.cols();
  const std::vector<double> w = WeightAsDouble(layer.w);
  std::vector<std::vector<double>> twins;
  for (int s = 0; s < o.twin_seeds; ++s) {
    twins.push_back(RandomTwin(rows, cols, twin_std, o.seed, block, p, s));
  }
  const bool by_head = o.per_head && InputOf(p) != Input::kMlp && InputOf(p) != Input::kMlpHidden;
  if (!by_head) {
    UnitMetrics unit;
    unit.projection = p;
    std::vector<const double*> t;
    for (const auto& tw : twins) t.push_back(tw.data());
    MeasureUnit(w.data(), t, rows, gram, o.top_k, unit);
    units.push_back(std::move(unit));
    return;
  }
  const int64_t hd = c.head_dim;
  if (p == Projection::kO) {  // head h: columns [h·hd, (h+1)·hd) and that slice of the input
    for (int64_t h = 0; h < cols / hd; ++h) {
      Gram sub = gram.SubBlock(h * hd, hd);
      const std::vector<double> wh = Columns(w, rows, cols, h * hd, hd);
      std::vector<std::vector<double>> th;
      std::vector<const double*> t;
      for (const auto& tw : twins) th.push_back(Columns(tw, rows, cols, h * hd, hd));
      for (const auto& x : th) t.push_back(x.data());
      UnitMetrics unit;
      unit.projection = p;
      unit.head = static_cast<int>(h);
      MeasureUnit(wh.data(), t, rows, sub, o.top_k, unit);
      units.push_back(std::move(unit));
    }
    return;
  }
  for (int64_t h = 0; h < rows / hd; ++h) {  // q, k, v: head h is rows [h·hd, (h+1)·hd)
    std::vector<const double*> t;
    for (const auto& tw : twins) t.push_back(tw.data() + h * hd * cols);
    UnitMetrics unit;
    unit.projection = p;
    unit.head = static_cast<int>(h);
    MeasureUnit(w.data() + h * hd * cols, t, hd, gram, o.top_k, unit);
    units.push_back(std::move(unit));
  }
}

// The projections a per-projection aggregate averages.
std::span<const Projection> AggregatedProjections(Aggregate how) {
  static constexpr Projection kAttentionProjections[] = {Projection::kQ, Projection::kK,
                                                         Projection::kV, Projection::kO};
  switch (how) {
    case Aggregate::kAttention:
      return kAttentionProjections;
    case Aggregate::kQkv:
      return std::span<const Projection>(kAttentionProjections).first(3);
    default:
      return kAllProjections;
  }
}

}  // namespace

double UnitMetrics::DeltaR(int seeds) const {
  std::vector<double> gains;
  for (double ct : FirstSeeds(compact_twin, seeds)) gains.push_back(CompactnessGain(compact, ct));
  return Mean(gains);
}

double UnitMetrics::DeltaE(int seeds) const {
  return energy - Mean(FirstSeeds(energy_twin, seeds));
}

double BlockCompactness::ProjectionDeltaR(Projection p, int seeds) const {
  std::vector<double> v;
  for (const UnitMetrics& u : units)
    if (u.projection == p) v.push_back(u.DeltaR(seeds));
  return Mean(v);
}

double BlockCompactness::ProjectionDeltaE(Projection p, int seeds) const {
  std::vector<double> v;
  for (const UnitMetrics& u : units)
    if (u.projection == p) v.push_back(u.DeltaE(seeds));
  return Mean(v);
}

double BlockCompactness::DeltaR(Aggregate how, int seeds) const {
  std::vector<double> v;
  if (how == Aggregate::kFlat) {
    for (const UnitMetrics& u : units) v.push_back(u.DeltaR(seeds));
  } else {
    for (Projection p : AggregatedProjections(how)) {
      const double m = ProjectionDeltaR(p, seeds);
      if (!std::isnan(m)) v.push_back(m);
    }
  }
  return Mean(v);
}

double BlockCompactness::DeltaE(Aggregate how, int seeds) const {
  std::vector<double> v;
  if (how == Aggregate::kFlat) {
    for (const UnitMetrics& u : units) v.push_back(u.DeltaE(seeds));
  } else {
    for (Projection p : AggregatedProjections(how)) {
      const double m = ProjectionDeltaE(p, seeds);
      if (!std::isnan(m)) v.push_back(m);
    }
  }
  return Mean(v);
}

Result<CompactnessResult> MeasureCompactness(const Model& model, ThreadPool& pool,
                                             std::span<const std::vector<int32_t>> samples,
                                             const CompactnessOptions& o) {
  const ModelConfig& c = model.config;
  LIEQ_ASSIGN_OR_RETURN(const int64_t seq, CommonWindowLength(samples));
  if (o.projections.empty()) return InvalidArgument("--projections names no projection");
  if (o.top_k < 1) return InvalidArgument("--top-k must be at least 1");
  if (o.twin_seeds < 1) return InvalidArgument("--twin-seeds must be at least 1");
  const double twin_std = o.twin_std > 0 ? o.twin_std : c.initializer_range;
  if (!(twin_std > 0)) return InvalidArgument("the random twin's std must be positive");
  for (const BlockWeights& b : model.weights.blocks) {
    for (Projection p : kAllProjections) {
      if (b.linear(p).is_packed() || b.linear(p).w.data == nullptr) {
        return InvalidArgument(model.source_path +
                               ": diagnostics need the unquantized model (a block is packed)");
      }
    }
  }
  const auto wants = [&](Input in) {
    return std::any_of(o.projections.begin(), o.projections.end(),
                       [&](Projection p) { return InputOf(p) == in; });
  };

  Transformer transformer(model, pool);
  const int64_t d = c.hidden_size;
  std::vector<float> x(static_cast<size_t>(static_cast<int64_t>(samples.size()) * seq * d));
  for (size_t s = 0; s < samples.size(); ++s) {  // x [S, seq, d]: the residual streams
    LIEQ_RETURN_IF_ERROR(
        transformer.Embed(samples[s], x.data() + static_cast<int64_t>(s) * seq * d));
  }
  KvCache cache(c, seq);  // never advanced: every sample runs at positions 0..seq-1

  CompactnessResult result;
  result.tokens = static_cast<int64_t>(samples.size()) * seq;
  const auto L = static_cast<int>(c.num_layers);
  std::vector<std::optional<BlockCompactness>> cached(static_cast<size_t>(L));
  int last_measured = -1;  // the windows need not pass beyond it
  for (int l = 0; l < L; ++l) {
    if (o.load_block) cached[static_cast<size_t>(l)] = o.load_block(l);
    if (!cached[static_cast<size_t>(l)]) last_measured = l;
  }
  for (int l = 0; l < L; ++l) {
    const auto block_start = Clock::now();
    if (std::optional<BlockCompactness>& hit = cached[static_cast<size_t>(l)]) {
      if (l < last_measured) {
        for (size_t s = 0; s < samples.size(); ++s) {
          transformer.Block(l, x.data() + static_cast<int64_t>(s) * seq * d, seq, cache);
        }
        result.forward_seconds += SecondsSince(block_start);
      }
      result.blocks.push_back(std::move(*hit));
      continue;
    }
    std::map<Input, Gram> grams;
    for (auto [in, dim] : {std::pair{Input::kAttention, d},
                           {Input::kAttentionOutput, c.q_dim()},
                           {Input::kMlp, d},
                           {Input::kMlpHidden, c.intermediate_size}}) {
      if (wants(in)) grams.emplace(in, Gram(dim));
    }
    ForwardHooks hooks;
    hooks.linear_input = [&](int, Projection p, const float* input, int64_t n, int64_t) {
      // q/k/v and gate/up receive the same input: accumulate it once, at q and gate.
      if (p == Projection::kK || p == Projection::kV || p == Projection::kUp) return;
      auto it = grams.find(InputOf(p));
      if (it == grams.end()) return;
      // One BLAS thread: OpenBLAS splits double-precision sums by its thread count, and the
      // diagnostics must not depend on -t (docs/RELIABILITY.md, reproducibility).
      SetBlasThreads(1);
      it->second.Add(input, n);
    };
    for (size_t s = 0; s < samples.size(); ++s) {
      transformer.Block(l, x.data() + static_cast<int64_t>(s) * seq * d, seq, cache, &hooks);
    }
    result.forward_seconds += SecondsSince(block_start);

    const auto spectrum_start = Clock::now();
    SetBlasThreads(1);  // as above: results independent of the thread count
    BlockCompactness block;
    const BlockWeights& w = model.weights.blocks[static_cast<size_t>(l)];
    for (Projection p : o.projections) {
      MeasureProjection(c, w.linear(p), p, l, grams.at(InputOf(p)), o, twin_std, block.units);
    }
    for (auto& [in, gram] : grams) {  // the effective rank of the inputs themselves
      if (gram.dim() <= kMaxInputRankDim) {
        block.input_compact[static_cast<size_t>(in)] = Compactness(gram.Eigenvalues());
      }
    }
    result.spectrum_seconds += SecondsSince(spectrum_start);
    block.seconds = SecondsSince(block_start);
    if (o.store_block) o.store_block(l, block);
    result.blocks.push_back(std::move(block));
    if (o.progress) o.progress(l, L, result.blocks.back().seconds);
  }
  return result;
}

}  // namespace lieq
