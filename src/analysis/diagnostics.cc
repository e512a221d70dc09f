#include "analysis/diagnostics.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analysis/rank_stats.h"

namespace lieq {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> PerBlock(const Diagnostics& d,
                             const std::function<double(const BlockCompactness&)>& f) {
  std::vector<double> v;
  for (const BlockCompactness& b : d.proxy.blocks) v.push_back(f(b));
  return v;
}

// JSON has no NaN: nlohmann writes null; read null back as NaN.
std::vector<double> ReadNumbers(const nlohmann::json& j) {
  std::vector<double> v;
  for (const auto& x : j) v.push_back(x.is_number() ? x.get<double>() : kNaN);
  return v;
}

nlohmann::json RuleRhoJson(const std::vector<RuleRho>& rules) {
  nlohmann::json j = nlohmann::json::object();
  for (const RuleRho& r : rules) {
    j[r.name] = {{"delta_r", r.delta_r},
                 {"delta_r_single_twin", r.delta_r_single},
                 {"delta_r_single_twin_mean", r.delta_r_single_mean},
                 {"delta_r_single_twin_sd", r.delta_r_single_sd},
                 {"delta_e", r.delta_e},
                 {"delta_e_single_twin", r.delta_e_single},
                 {"delta_e_single_twin_mean", r.delta_e_single_mean},
                 {"delta_e_single_twin_sd", r.delta_e_single_sd}};
  }
  return j;
}

}  // namespace

const char* AggregateName(Aggregate a) {
  switch (a) {
    case Aggregate::kFlat:
      return "flat";
    case Aggregate::kAttention:
      return "attention";
    case Aggregate::kQkv:
      return "qkv";
    default:
      return "projection";
  }
}

Result<Aggregate> AggregateFromName(const std::string& name) {
  if (name == "flat") return Aggregate::kFlat;
  if (name == "projection") return Aggregate::kProjection;
  if (name == "attention") return Aggregate::kAttention;
  if (name == "qkv") return Aggregate::kQkv;
  return InvalidArgument("--aggregate '" + name +
                         "' is unknown (flat, projection, attention, qkv)");
}

Result<std::vector<Projection>> ParseProjections(const std::string& list) {
  std::vector<Projection> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    bool found = false;
    for (Projection p : kAllProjections) {
      if (item == ProjectionName(p)) {
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
        found = true;
      }
    }
    if (!found) {
      return InvalidArgument("--projections: '" + item +
                             "' is not one of q, k, v, o, gate, up, down");
    }
  }
  if (out.empty()) return InvalidArgument("--projections names no projection");
  return out;
}

BlockScores ComputeBlockScores(const Diagnostics& d) {
  BlockScores s;
  s.delta_r_flat = PerBlock(d, [](const auto& b) { return b.DeltaR(Aggregate::kFlat); });
  s.delta_r_projection =
      PerBlock(d, [](const auto& b) { return b.DeltaR(Aggregate::kProjection); });
  s.delta_e_flat = PerBlock(d, [](const auto& b) { return b.DeltaE(Aggregate::kFlat); });
  s.delta_e_projection =
      PerBlock(d, [](const auto& b) { return b.DeltaE(Aggregate::kProjection); });
  const Aggregate how = d.settings.aggregate;
  s.proxy = PerBlock(d, [how](const auto& b) { return b.DeltaR(how); });
  s.delta_e = PerBlock(d, [how](const auto& b) { return b.DeltaE(how); });
  if (d.ppl) s.delta_ppl = d.ppl->delta_ppl;

  const auto& w = d.settings.weights;
  s.combined.assign(s.proxy.size(), 0.0);
  auto add = [&](const std::vector<double>& v, double weight) {
    if (v.empty() || weight == 0) return;
    const std::vector<double> n = MinMaxNormalize(v);
    for (size_t l = 0; l < n.size(); ++l) s.combined[l] += weight * n[l];
  };
  add(s.delta_ppl, w[0]);
  add(s.proxy, w[1]);
  add(s.delta_e, w[2]);
  if (d.sensitivity) {
    s.kl_widths = d.sensitivity->widths;
    s.kl = d.sensitivity->kl;
  }
  return s;
}

RhoTable ComputeRho(const Diagnostics& d) {
  RhoTable t;
  const int seeds = d.settings.twin_seeds;
  const int twins = d.settings.twin_seeds;
  if (d.sensitivity && !d.sensitivity->widths.empty()) {
    std::vector<double> kl_lo;
    for (const auto& row : d.sensitivity->kl) kl_lo.push_back(row.front());
    t.rules_vs_kl = ComputeRuleRho(d.proxy.blocks, twins, kl_lo);
  }
  if (!d.ppl) {
    t.proxy_flat.assign(static_cast<size_t>(seeds), kNaN);
    t.proxy_projection.assign(static_cast<size_t>(seeds), kNaN);
    t.delta_e_flat = t.delta_e_projection = t.combined = kNaN;
    return t;
  }
  const std::vector<double>& ppl = d.ppl->delta_ppl;
  for (int s = 1; s <= seeds; ++s) {
    t.proxy_flat.push_back(SpearmanRho(
        PerBlock(d, [s](const auto& b) { return b.DeltaR(Aggregate::kFlat, s); }), ppl));
    t.proxy_projection.push_back(SpearmanRho(
        PerBlock(d, [s](const auto& b) { return b.DeltaR(Aggregate::kProjection, s); }), ppl));
  }
  const BlockScores scores = ComputeBlockScores(d);
  t.delta_e_flat = SpearmanRho(scores.delta_e_flat, ppl);
  t.delta_e_projection = SpearmanRho(scores.delta_e_projection, ppl);
  t.combined = SpearmanRho(scores.combined, ppl);
  for (size_t w = 0; w < scores.kl_widths.size(); ++w) {
    std::vector<double> column;
    for (const auto& row : scores.kl) column.push_back(row[w]);
    t.kl.push_back(SpearmanRho(column, ppl));
  }
  t.rules = ComputeRuleRho(d.proxy.blocks, twins, ppl);
  return t;
}

nlohmann::json DiagnosticsToJson(const Diagnostics& d) {
  const DiagnoseSettings& st = d.settings;
  const BlockScores scores = ComputeBlockScores(d);
  const RhoTable rho = ComputeRho(d);
  nlohmann::json blocks = nlohmann::json::array();
  for (size_t l = 0; l < d.proxy.blocks.size(); ++l) {
    const BlockCompactness& b = d.proxy.blocks[l];
    nlohmann::json by_projection = nlohmann::json::object();
    for (Projection p : kAllProjections) {
      const double r = b.ProjectionDeltaR(p);
      if (std::isnan(r)) continue;
      by_projection[ProjectionName(p)] = {{"delta_r", r}, {"delta_e", b.ProjectionDeltaE(p)}};
    }
    nlohmann::json units = nlohmann::json::array();
    for (const UnitMetrics& u : b.units) {
      units.push_back({{"projection", ProjectionName(u.projection)},
                       {"head", u.head},
                       {"compact", u.compact},
                       {"compact_twin", u.compact_twin},
                       {"energy", u.energy},
                       {"energy_twin", u.energy_twin},
                       {"delta_r", u.DeltaR()},
                       {"delta_e", u.DeltaE()}});
    }
    nlohmann::json block = {{"block", l},
                            {"proxy", scores.proxy[l]},
                            {"delta_r_flat", scores.delta_r_flat[l]},
                            {"delta_r_projection", scores.delta_r_projection[l]},
                            {"delta_e_flat", scores.delta_e_flat[l]},
                            {"delta_e_projection", scores.delta_e_projection[l]},
                            {"combined", scores.combined[l]},
                            {"seconds", b.seconds},
                            {"by_projection", by_projection},
                            {"units", units}};
    nlohmann::json inputs = nlohmann::json::object();
    for (size_t i = 0; i < b.input_compact.size(); ++i) {
      if (!std::isnan(b.input_compact[i])) inputs[kInputSiteNames[i]] = b.input_compact[i];
    }
    block["input_effective_rank"] = std::move(inputs);
    if (d.ppl) {
      block["ppl_skipped"] = d.ppl->ppl[l];
      block["delta_ppl"] = d.ppl->delta_ppl[l];
    }
    if (d.sensitivity) {
      nlohmann::json kl = nlohmann::json::object();
      for (size_t w = 0; w < d.sensitivity->widths.size(); ++w) {
        kl[std::to_string(d.sensitivity->widths[w])] = d.sensitivity->kl[l][w];
      }
      block["kl"] = std::move(kl);
    }
    blocks.push_back(std::move(block));
  }
  nlohmann::json j = {
      {"format", "lieq-diagnostics"},
      {"version", 1},
      {"model", st.model},
      {"arch", d.arch},
      {"num_blocks", d.num_blocks},
      {"calib", st.calib},
      {"eval_text", st.eval_text},
      {"seed", st.seed},
      {"settings",
       {{"samples", st.samples},
        {"seq", st.seq},
        {"calib_tokens", d.proxy.tokens},
        {"eval_ctx", st.eval_ctx},
        {"eval_windows", st.eval_windows},
        {"projections", st.projections},
        {"per_head", st.per_head},
        {"top_k", st.top_k},
        {"twin_seeds", st.twin_seeds},
        {"twin_seed", st.twin_seed >= 0 ? static_cast<uint64_t>(st.twin_seed) : st.seed},
        {"twin_init", "normal(0, twin_std^2), i.i.d."},
        {"twin_std", st.twin_std},
        {"aggregate", AggregateName(st.aggregate)},
        {"weights",
         {{"ppl", st.weights[0]}, {"delta_r", st.weights[1]}, {"delta_e", st.weights[2]}}}}},
      {"scores",
       {{"proxy", scores.proxy},
        {"delta_e", scores.delta_e},
        {"ppl", scores.delta_ppl},
        {"combined", scores.combined}}},
      {"spearman_vs_delta_ppl",
       {{"proxy_flat_by_twin_seeds", rho.proxy_flat},
        {"proxy_projection_by_twin_seeds", rho.proxy_projection},
        {"proxy_flat", rho.proxy_flat.empty() ? kNaN : rho.proxy_flat.back()},
        {"proxy_projection", rho.proxy_projection.empty() ? kNaN : rho.proxy_projection.back()},
        {"delta_e_flat", rho.delta_e_flat},
        {"delta_e_projection", rho.delta_e_projection},
        {"combined", rho.combined},
        {"kl_by_width", rho.kl},
        {"by_rule", RuleRhoJson(rho.rules)}}},
      {"spearman_vs_kl_lowest_width", {{"by_rule", RuleRhoJson(rho.rules_vs_kl)}}},
      {"timing",
       {{"proxy_forward_seconds", d.proxy.forward_seconds},
        {"proxy_spectrum_seconds", d.proxy.spectrum_seconds},
        {"proxy_seconds", d.proxy.forward_seconds + d.proxy.spectrum_seconds},
        {"ppl_seconds", d.ppl ? d.ppl->seconds : 0.0},
        {"total_seconds", d.seconds_total},
        {"peak_rss_mib", d.peak_rss_mib}}},
      {"blocks", blocks},
  };
  if (d.sensitivity) {
    j["scores"]["kl"] = {{"method", d.sensitivity->method},
                         {"widths", d.sensitivity->widths},
                         {"values", d.sensitivity->kl}};
    j["settings"]["sensitivity_bits"] = st.sensitivity_bits;
    j["settings"]["sensitivity_method"] = d.sensitivity->method;
    j["timing"]["sensitivity_seconds"] = d.sensitivity->seconds;
    j["sensitivity_tokens"] = d.sensitivity->tokens;
  }
  if (d.ppl) {
    j["base_ppl"] = d.ppl->base_ppl;
    j["ppl_tokens_scored"] = d.ppl->tokens_scored;
  }
  return j;
}

Result<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument(path + ": not valid JSON");
  return j;
}

Result<DiagnosticsScores> DiagnosticsScoresFromJson(const nlohmann::json& j,
                                                    const std::string& source) {
  if (!j.is_object() || j.value("format", "") != "lieq-diagnostics") {
    return InvalidArgument(source +
                           ": not a lieq diagnostics file (\"format\" is not "
                           "\"lieq-diagnostics\")");
  }
  const auto it = j.find("scores");
  if (it == j.end() || !it->is_object() || !it->contains("proxy") || !(*it)["proxy"].is_array()) {
    return InvalidArgument(source + ": no \"scores\".\"proxy\" array");
  }
  DiagnosticsScores s;
  s.model = j.value("model", "");
  s.proxy = ReadNumbers((*it)["proxy"]);
  if (it->contains("ppl")) s.ppl = ReadNumbers((*it)["ppl"]);
  if (it->contains("combined")) s.combined = ReadNumbers((*it)["combined"]);
  if (it->contains("delta_e")) s.delta_e = ReadNumbers((*it)["delta_e"]);
  const auto settings = j.find("settings");
  if (settings != j.end() && settings->is_object()) {
    const auto aggregate = settings->find("aggregate");
    if (aggregate != settings->end() && aggregate->is_string()) s.aggregate = *aggregate;
    const auto top_k = settings->find("top_k");
    if (top_k != settings->end() && top_k->is_number_integer()) s.top_k = *top_k;
  }
  if (it->contains("kl")) {
    const nlohmann::json& kl = (*it)["kl"];
    if (!kl.is_object() || !kl.contains("widths") || !kl["widths"].is_array() ||
        !kl.contains("values") || !kl["values"].is_array()) {
      return InvalidArgument(source + ": \"scores\".\"kl\" is not {method, widths, values}");
    }
    for (const auto& w : kl["widths"]) {
      if (!w.is_number_integer()) return InvalidArgument(source + ": a kl width is not a number");
      s.kl_widths.push_back(w.get<int>());
    }
    for (const auto& row : kl["values"]) {
      if (!row.is_array() || row.size() != s.kl_widths.size()) {
        return InvalidArgument(source +
                               ": \"scores\".\"kl\".\"values\" rows must have one "
                               "number per width");
      }
      s.kl.push_back(ReadNumbers(row));
    }
    s.kl_method = kl.value("method", "");
  }
  return s;
}

DiagnosticsScores DiagnosticsScoresOf(const Diagnostics& d) {
  const BlockScores b = ComputeBlockScores(d);
  DiagnosticsScores s;
  s.model = d.settings.model;
  s.proxy = b.proxy;
  s.ppl = b.delta_ppl;
  s.combined = b.combined;
  s.delta_e = b.delta_e;
  s.kl_widths = b.kl_widths;
  s.kl = b.kl;
  if (d.sensitivity) s.kl_method = d.sensitivity->method;
  s.aggregate = AggregateName(d.settings.aggregate);
  s.top_k = d.settings.top_k;
  return s;
}

}  // namespace lieq
