#include "analysis/compactness.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
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

// W [rows, cols] in float.
std::vector<float> WeightAsF32(const TensorView& w) {
  std::vector<float> f(static_cast<size_t>(w.rows() * w.cols()));
  RowsToF32(w, 0, w.rows(), f.data());
  return f;
}

// W̃ [rows, cols] ~ N(0, std²), seeded per (seed, block, projection, twin).
std::vector<float> RandomTwin(int64_t rows, int64_t cols, double std, uint64_t seed, int block,
                              Projection p, int twin) {
  const uint64_t stream = (static_cast<uint64_t>(block) * 8 + static_cast<uint64_t>(p)) * 1024 +
                          static_cast<uint64_t>(twin);
  Rng rng(seed ^ (0x9e3779b97f4a7c15ull * (stream + 1)));
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (float& x : w) x = static_cast<float>(std * rng.Normal());
  return w;
}

// A unit with room for every twin's statistics.
UnitMetrics NewUnit(Projection p, int head, int twins) {
  UnitMetrics unit;
  unit.projection = p;
  unit.head = head;
  unit.compact_twin.assign(static_cast<size_t>(twins), 0.0);
  unit.energy_twin.assign(static_cast<size_t>(twins), 0.0);
  return unit;
}

// What one pool thread reuses from job to job (fresh buffers cost page faults).
struct ThreadScratch {
  SpectrumScratch spectrum;
  std::vector<float> columns;  // one o head's columns of W
};

// Independent pieces of work of very uneven size, run longest first on whichever thread is free.
// Each writes only its own outputs with single-threaded BLAS / LAPACK, so the results do not
// depend on the thread count or on which thread ran what.
struct Job {
  double cost;  // estimated flops, for the order only
  std::function<void(ThreadScratch&)> run;
};

void RunLongestFirst(std::vector<Job>& jobs, ThreadPool& pool) {
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const Job& a, const Job& b) { return a.cost > b.cost; });
  SetBlasThreads(1);
  std::vector<ThreadScratch> scratch(static_cast<size_t>(pool.size()));
  pool.ParallelForEach(static_cast<int64_t>(jobs.size()), [&](int thread, int64_t i) {
    jobs[static_cast<size_t>(i)].run(scratch[static_cast<size_t>(thread)]);
  });
}

// Rough flops of one OutputSpectrum / eigenvalue problem (the eigensolver weighted up: its
// tridiagonalisation is memory-bound).
double SpectrumCost(int64_t rows, int64_t in) {
  const double r = static_cast<double>(rows), k = static_cast<double>(in);
  const double n = std::min(r, k);
  return 2 * r * k * k + 2 * n * n * std::max(r, k) + 8 * n * n * n;
}
double EigenCost(int64_t n) { return 8 * std::pow(static_cast<double>(n), 3); }

// One projection's weight and twins in float, and how it splits into units.
struct ProjectionData {
  Projection p = Projection::kQ;
  int64_t rows = 0, cols = 0;
  int64_t heads = 1;        // units: 1 (whole), or attention heads
  bool by_columns = false;  // o: head h is columns [h·hd, (h+1)·hd) and that slice of the input
  std::vector<float> w;     // [rows, cols]
  std::vector<std::vector<float>> twins;  // [twin_seeds][rows, cols]
  std::vector<UnitMetrics> units;         // [heads]
};

// Every spectrum of one block: each projection's units (trained weight and twins) and each input
// site's own Gram. Two parallel passes: the weights, twins and float Grams; then the spectra.
void MeasureBlockSpectra(const ModelConfig& c, const BlockWeights& bw, int block,
                         std::map<Input, Gram>& grams, const CompactnessOptions& o, double twin_std,
                         ThreadPool& pool, BlockCompactness& out) {
  const int64_t hd = c.head_dim;
  std::vector<ProjectionData> data(o.projections.size());
  std::map<Input, bool> needs_factor;  // a whole projection with more rows than inputs reads it
  for (size_t i = 0; i < data.size(); ++i) {
    ProjectionData& d = data[i];
    d.p = o.projections[i];
    d.rows = bw.linear(d.p).w.rows();
    d.cols = bw.linear(d.p).w.cols();
    const bool by_head =
        o.per_head && InputOf(d.p) != Input::kMlp && InputOf(d.p) != Input::kMlpHidden;
    d.by_columns = by_head && d.p == Projection::kO;
    d.heads = !by_head ? 1 : d.by_columns ? d.cols / hd : d.rows / hd;
    for (int64_t h = 0; h < d.heads; ++h) {
      d.units.push_back(NewUnit(d.p, by_head ? static_cast<int>(h) : -1, o.twin_seeds));
    }
    d.twins.resize(static_cast<size_t>(o.twin_seeds));
    needs_factor[InputOf(d.p)] |= !d.by_columns && d.rows / d.heads > d.cols;
  }
  // o's heads read their own slice of the attention output's Gram.
  std::vector<Gram> head_grams;
  for (const ProjectionData& d : data) {
    if (!d.by_columns) continue;
    for (int64_t h = 0; h < d.heads; ++h) {
      head_grams.push_back(grams.at(Input::kAttentionOutput).SubBlock(h * hd, hd));
    }
  }

  // Pass 1: weights and twins in float, Grams (and factors) in float.
  std::map<Input, GramF32> grams_f32;
  for (auto& [in, gram] : grams) grams_f32[in];
  std::vector<GramF32> head_grams_f32(head_grams.size());
  std::vector<Job> prepare;
  for (ProjectionData& d : data) {
    ProjectionData* pd = &d;
    const Linear* layer = &bw.linear(d.p);
    const double size = static_cast<double>(d.rows * d.cols);
    prepare.push_back({size, [pd, layer](ThreadScratch&) { pd->w = WeightAsF32(layer->w); }});
    for (int s = 0; s < o.twin_seeds; ++s) {
      const uint64_t seed = o.seed;
      prepare.push_back({10 * size, [pd, s, seed, twin_std, block](ThreadScratch&) {
                           pd->twins[static_cast<size_t>(s)] =
                               RandomTwin(pd->rows, pd->cols, twin_std, seed, block, pd->p, s);
                         }});
    }
  }
  for (auto& [in, gram] : grams) {
    const bool factor = needs_factor[in];
    Gram* source = &gram;
    GramF32* target = &grams_f32.at(in);
    prepare.push_back(
        {factor ? EigenCost(gram.dim()) : 0.0,
         [source, target, factor](ThreadScratch&) { *target = source->ToF32(factor); }});
  }
  for (size_t h = 0; h < head_grams.size(); ++h) {
    Gram* source = &head_grams[h];
    GramF32* target = &head_grams_f32[h];
    prepare.push_back({EigenCost(source->dim()), [source, target](ThreadScratch&) {
                         *target = source->ToF32(/*with_factor=*/true);
                       }});
  }
  RunLongestFirst(prepare, pool);

  // Pass 2: every spectrum.
  std::vector<Job> spectra;
  for (auto& [in, gram] : grams_f32) {  // the effective rank of the inputs themselves
    if (gram.dim > kMaxInputRankDim) continue;
    double* slot = &out.input_compact[static_cast<size_t>(in)];
    const GramF32* g = &gram;
    spectra.push_back({EigenCost(g->dim), [slot, g](ThreadScratch& t) {
                         *slot = Compactness(InputSpectrum(*g, t.spectrum));
                       }});
  }
  size_t next_head_gram = 0;
  for (ProjectionData& d : data) {
    const ProjectionData* pd = &d;
    for (int64_t h = 0; h < d.heads; ++h) {
      UnitMetrics* unit = &d.units[static_cast<size_t>(h)];
      const int64_t unit_rows = d.by_columns ? d.rows : d.rows / d.heads;
      const GramF32* g =
          d.by_columns ? &head_grams_f32[next_head_gram++] : &grams_f32.at(InputOf(d.p));
      for (int s = -1; s < o.twin_seeds; ++s) {  // -1: the trained weight
        const std::vector<float>* src = s < 0 ? &d.w : &d.twins[static_cast<size_t>(s)];
        const int64_t top_k = o.top_k;
        spectra.push_back(
            {SpectrumCost(unit_rows, g->dim), [=](ThreadScratch& t) {
               const float* w = src->data() + h * unit_rows * pd->cols;
               if (pd->by_columns) {  // head h's columns, contiguous
                 t.columns.resize(static_cast<size_t>(pd->rows * hd));
                 for (int64_t r = 0; r < pd->rows; ++r) {
                   std::copy_n(src->data() + r * pd->cols + h * hd, hd, t.columns.data() + r * hd);
                 }
                 w = t.columns.data();
               }
               const std::vector<double> sigma2 = OutputSpectrum(w, unit_rows, *g, t.spectrum);
               const double compact = Compactness(sigma2);
               const double energy = TopKEnergy(sigma2, top_k);
               if (s < 0) {
                 unit->compact = compact;
                 unit->energy = energy;
               } else {
                 unit->compact_twin[static_cast<size_t>(s)] = compact;
                 unit->energy_twin[static_cast<size_t>(s)] = energy;
               }
             }});
      }
    }
  }
  RunLongestFirst(spectra, pool);
  for (ProjectionData& d : data) {
    for (UnitMetrics& unit : d.units) out.units.push_back(std::move(unit));
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
  // Never advanced: every sample runs at positions 0..seq-1, one block at a time.
  KvCache cache = KvCache::SharedAcrossBlocks(c, seq);

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
      it->second.Add(input, n, &pool);  // fixed tiles: the same sums for every -t
    };
    for (size_t s = 0; s < samples.size(); ++s) {
      transformer.Block(l, x.data() + static_cast<int64_t>(s) * seq * d, seq, cache, &hooks);
    }
    result.forward_seconds += SecondsSince(block_start);

    const auto spectrum_start = Clock::now();
    BlockCompactness block;
    const BlockWeights& w = model.weights.blocks[static_cast<size_t>(l)];
    MeasureBlockSpectra(c, w, l, grams, o, twin_std, pool, block);
    for (Projection p : kAllProjections) model.ReleasePages(w.linear(p).w);  // not read again
    result.spectrum_seconds += SecondsSince(spectrum_start);
    block.seconds = SecondsSince(block_start);
    if (o.store_block) o.store_block(l, block);
    result.blocks.push_back(std::move(block));
    if (o.progress) o.progress(l, L, result.blocks.back().seconds);
  }
  return result;
}

}  // namespace lieq
