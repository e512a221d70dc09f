#include "analysis/proxy_rules.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "analysis/rank_stats.h"
#include "analysis/spectrum.h"

namespace lieq {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Mean(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// Sample standard deviation (NaN below two values).
double StdDev(const std::vector<double>& v) {
  if (v.size() < 2) return kNaN;
  const double m = Mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

double UnitDeltaR(const UnitMetrics& u, int twin) {
  if (twin < 0) return u.DeltaR();
  return CompactnessGain(u.compact, u.compact_twin[static_cast<size_t>(twin)]);
}

double UnitDeltaE(const UnitMetrics& u, int twin) {
  if (twin < 0) return u.DeltaE();
  return u.energy - u.energy_twin[static_cast<size_t>(twin)];
}

double RuleValue(const BlockCompactness& b, const ProxyRule& rule,
                 const std::function<double(const UnitMetrics&)>& unit) {
  std::vector<double> values;
  if (rule.flat) {
    for (const UnitMetrics& u : b.units) {
      if (std::find(rule.projections.begin(), rule.projections.end(), u.projection) !=
          rule.projections.end()) {
        values.push_back(unit(u));
      }
    }
    return Mean(values);
  }
  for (Projection p : rule.projections) {
    std::vector<double> heads;
    for (const UnitMetrics& u : b.units) {
      if (u.projection == p) heads.push_back(unit(u));
    }
    if (!heads.empty()) values.push_back(Mean(heads));
  }
  return Mean(values);
}

}  // namespace

std::vector<ProxyRule> AllProxyRules() {
  using P = Projection;
  const std::vector<Projection> all(std::begin(kAllProjections), std::end(kAllProjections));
  std::vector<ProxyRule> rules = {
      {"flat", all, true},
      {"projection", all, false},
      {"attention", {P::kQ, P::kK, P::kV, P::kO}, false},
      {"qkv", {P::kQ, P::kK, P::kV}, false},
      {"mlp", {P::kGate, P::kUp, P::kDown}, false},
  };
  for (Projection p : kAllProjections) rules.push_back({ProjectionName(p), {p}, false});
  return rules;
}

double RuleDeltaR(const BlockCompactness& b, const ProxyRule& rule, int twin) {
  return RuleValue(b, rule, [twin](const UnitMetrics& u) { return UnitDeltaR(u, twin); });
}

double RuleDeltaE(const BlockCompactness& b, const ProxyRule& rule, int twin) {
  return RuleValue(b, rule, [twin](const UnitMetrics& u) { return UnitDeltaE(u, twin); });
}

std::vector<RuleRho> ComputeRuleRho(const std::vector<BlockCompactness>& blocks, int twins,
                                    const std::vector<double>& target) {
  auto rho = [&](const ProxyRule& rule, bool energy, int twin) {
    std::vector<double> v;
    for (const BlockCompactness& b : blocks) {
      v.push_back(energy ? RuleDeltaE(b, rule, twin) : RuleDeltaR(b, rule, twin));
    }
    return SpearmanRho(v, target);
  };
  std::vector<RuleRho> out;
  for (const ProxyRule& rule : AllProxyRules()) {
    RuleRho r;
    r.name = rule.name;
    r.delta_r = rho(rule, false, -1);
    r.delta_e = rho(rule, true, -1);
    if (std::isnan(r.delta_r) && std::isnan(r.delta_e)) continue;  // not measured
    for (int s = 0; s < twins; ++s) {
      r.delta_r_single.push_back(rho(rule, false, s));
      r.delta_e_single.push_back(rho(rule, true, s));
    }
    r.delta_r_single_mean = Mean(r.delta_r_single);
    r.delta_r_single_sd = StdDev(r.delta_r_single);
    r.delta_e_single_mean = Mean(r.delta_e_single);
    r.delta_e_single_sd = StdDev(r.delta_e_single);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace lieq
