// LieQ's geometric proxy: how compact each projection's outputs are on real calibration
// inputs compared with a random twin of the same shape, block by block, from one calibration
// forward pass (no perplexity passes).
//
// For projection P of block l with real inputs H (from ForwardHooks::linear_input):
//   Z = H·W_Pᵀ,  Z̃ = H·W̃_Pᵀ,  W̃_P ~ N(0, twin_std²) i.i.d. (HF's init; twin_std defaults to the
//   config's initializer_range, 0.02). Compact and E_k come from the σ² of each (spectrum.h):
//   Δr = (Compact(Z̃) − Compact(Z)) / Compact(Z̃),   ΔE_k = E_k(Z) − E_k(Z̃),
// each averaged over `twin_seeds` independent twins. Attention projections are split by head
// (q, k, v: the head's rows of W; o: the head's columns of W and its slice of the input).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"

namespace lieq {

inline constexpr double kNaNInit = std::numeric_limits<double>::quiet_NaN();

// One measured unit: a whole projection or one head of an attention projection.
struct UnitMetrics {
  Projection projection = Projection::kQ;
  int head = -1;                     // -1: the whole projection
  double compact = 0;                // Compact(Z)
  double energy = 0;                 // E_k(Z)
  std::vector<double> compact_twin;  // [twin_seeds] Compact(Z̃_s)
  std::vector<double> energy_twin;   // [twin_seeds] E_k(Z̃_s)

  // Means over the first `seeds` twins (all when seeds <= 0).
  double DeltaR(int seeds = 0) const;
  double DeltaE(int seeds = 0) const;
};

// How units are averaged into one number per block.
enum class Aggregate {
  kFlat,        // mean over every unit (each head counts once)
  kProjection,  // mean over projections of the per-projection mean over heads
  kAttention,   // the same over q, k, v, o only
  kQkv,         // the same over q, k, v only (the attention projections' outputs)
};

// The inputs a block's projections read: q, k, v; o; gate, up; down.
inline constexpr const char* kInputSiteNames[] = {"attention", "attention_output", "mlp",
                                                  "mlp_hidden"};
// Input effective ranks are computed for inputs up to this width (an eigendecomposition of the
// [in, in] Gram each; wider inputs report NaN).
inline constexpr int64_t kMaxInputRankDim = 8192;

struct BlockCompactness {
  std::vector<UnitMetrics> units;
  double seconds = 0;
  // Compact(H) of each input site (kInputSiteNames order): the effective rank of the real
  // inputs themselves, exp(H(λ/Σλ)) over the Gram's eigenvalues. NaN when not measured.
  std::array<double, 4> input_compact = {kNaNInit, kNaNInit, kNaNInit, kNaNInit};

  double DeltaR(Aggregate how, int seeds = 0) const;
  double DeltaE(Aggregate how, int seeds = 0) const;
  // Mean over the units of projection p (NaN when it was not measured).
  double ProjectionDeltaR(Projection p, int seeds = 0) const;
  double ProjectionDeltaE(Projection p, int seeds = 0) const;
};

struct CompactnessOptions {
  std::vector<Projection> projections{std::begin(kAllProjections), std::end(kAllProjections)};
  bool per_head = true;  // split q, k, v, o by attention head
  int64_t top_k = 8;     // k of E_k
  int twin_seeds = 3;    // random twins averaged per unit
  uint64_t seed = 0;     // twin s of (block l, projection p) is seeded from (seed, l, p, s)
  double twin_std = 0;   // 0: the config's initializer_range
  // Called after each block measured: (block, blocks, seconds spent on it).
  std::function<void(int, int, double)> progress;
  // Resume hooks (analysis/diagnose_cache.h). A block that `load_block` returns is not measured
  // (the calibration windows still pass through it while a later block needs measuring);
  // `store_block` gets each block that was measured.
  std::function<std::optional<BlockCompactness>(int block)> load_block;
  std::function<void(int block, const BlockCompactness&)> store_block;
};

struct CompactnessResult {
  std::vector<BlockCompactness> blocks;  // [L]
  int64_t tokens = 0;                    // calibration tokens seen per block
  double forward_seconds = 0;            // the calibration forward pass incl. Gram accumulation
  double spectrum_seconds = 0;           // Gram products and eigenvalues
};

// `samples`: calibration windows of equal length ≤ max_position_embeddings.
// Errors: packed (already quantized) weights, empty or ragged samples, bad options.
Result<CompactnessResult> MeasureCompactness(const Model& model, ThreadPool& pool,
                                             std::span<const std::vector<int32_t>> samples,
                                             const CompactnessOptions& options);

}  // namespace lieq
