// A full `lieq diagnose` run as data: settings, the proxy's per-unit measurements, optional
// ΔPPL, and the per-block scores and rank correlations derived from them; its JSON form
// (diagnostics.json, what `lieq plan --diagnostics` reads).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/block_ppl.h"
#include "analysis/compactness.h"
#include "analysis/proxy_rules.h"
#include "analysis/sensitivity.h"
#include "core/status.h"

namespace lieq {

struct DiagnoseSettings {
  std::string model;
  std::string calib;
  std::string eval_text;  // empty: ΔPPL not measured
  int64_t samples = 16;
  int64_t seq = 512;
  uint64_t seed = 0;       // calibration sampling (and the twins unless twin_seed >= 0)
  int64_t twin_seed = -1;  // seed of the random twins; -1: `seed`
  int64_t eval_ctx = 512;
  int64_t eval_windows = 8;
  std::string projections = "q,k,v,o,gate,up,down";
  bool per_head = true;
  int64_t top_k = 8;
  int twin_seeds = 3;
  double twin_std = 0.02;
  Aggregate aggregate = Aggregate::kProjection;
  std::array<double, 3> weights = {1, 1, 1};  // combined score: ΔPPL, Δr, ΔE_k
  std::string cache_dir;  // resume cache (analysis/diagnose_cache.h); empty: none
  // Measured sensitivity (analysis/sensitivity.h): widths, e.g. "2,3,4,8"; empty: not measured.
  // The back-end is the caller's (RunDiagnostics' SensitivityRequest).
  std::string sensitivity_bits;
};

struct Diagnostics {
  DiagnoseSettings settings;
  std::string arch;
  int64_t num_blocks = 0;
  CompactnessResult proxy;
  std::optional<BlockPplResult> ppl;
  std::optional<SensitivityResult> sensitivity;
  double seconds_total = 0;
  double peak_rss_mib = 0;
};

// Per-block numbers, each [L].
struct BlockScores {
  std::vector<double> delta_r_flat, delta_r_projection;
  std::vector<double> delta_e_flat, delta_e_projection;
  std::vector<double> proxy;      // s_l: Δr by the chosen aggregate (higher = more important)
  std::vector<double> delta_e;    // ΔE_k by the chosen aggregate
  std::vector<double> delta_ppl;  // empty when not measured
  // w_ppl·mm(ΔPPL) + w_r·mm(s) + w_e·mm(ΔE_k), mm = min–max normalisation over blocks; terms
  // that were not measured are left out.
  std::vector<double> combined;
  std::vector<int> kl_widths;           // measured sensitivity; empty when not measured
  std::vector<std::vector<double>> kl;  // [L][W] mean KL with only block l at kl_widths[w]
};
BlockScores ComputeBlockScores(const Diagnostics& d);

// Spearman ρ against ΔPPL (all NaN without ΔPPL).
struct RhoTable {
  std::vector<double> proxy_flat;        // [twin_seeds]: entry s uses the first s+1 twins
  std::vector<double> proxy_projection;  // [twin_seeds]
  double delta_e_flat = 0, delta_e_projection = 0, combined = 0;
  std::vector<double> kl;  // [W] ρ(KL at each measured width, ΔPPL); empty when not measured
  // Every averaging rule of the proxy (proxy_rules.h) against ΔPPL, and against the measured
  // KL at the lowest width when measured (empty otherwise).
  std::vector<RuleRho> rules, rules_vs_kl;
};
RhoTable ComputeRho(const Diagnostics& d);

const char* AggregateName(Aggregate a);  // "flat", "projection"
Result<Aggregate> AggregateFromName(const std::string& name);
// "q,k,gate" → projections; errors name --projections and the bad item.
Result<std::vector<Projection>> ParseProjections(const std::string& list);

nlohmann::json DiagnosticsToJson(const Diagnostics& d);

// What a planner and the charts (analysis/report.h) need back from diagnostics.json.
struct DiagnosticsScores {
  std::string model;
  std::vector<double> proxy, ppl, combined;  // ppl empty when not measured
  std::vector<double> delta_e;               // ΔE_k (empty in files that predate it)
  std::vector<int> kl_widths;                // measured sensitivity (empty when not measured)
  std::vector<std::vector<double>> kl;       // [L][W]
  std::string kl_method;                     // the back-end it was measured with
  std::string aggregate = "projection";      // how proxy and delta_e average their units
  int64_t top_k = 0;                         // the k of ΔE_k
};
// The same numbers straight from a run, without the JSON round trip.
DiagnosticsScores DiagnosticsScoresOf(const Diagnostics& d);
Result<nlohmann::json> ReadJsonFile(const std::string& path);
// The "scores" of a diagnostics.json object; `source` names the file in errors.
Result<DiagnosticsScores> DiagnosticsScoresFromJson(const nlohmann::json& j,
                                                    const std::string& source);

}  // namespace lieq
