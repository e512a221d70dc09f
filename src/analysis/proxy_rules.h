// The ways the proxy's per-unit measurements can be averaged into one number per block, and how
// each ranks the blocks against ΔPPL — for finding out which reading of the paper, if any,
// tracks the measured importance (docs/DIAGNOSTICS.md, "Which averaging").
//
// A rule picks projections and averages their units either flat (every head once) or as the
// mean of per-projection means. Twins: each rule's ρ is reported with all twins averaged and for
// each single twin (its mean and standard deviation over twins show the seed noise).
#pragma once

#include <string>
#include <vector>

#include "analysis/compactness.h"

namespace lieq {

struct ProxyRule {
  std::string name;                     // "flat", "projection", "attention", "q", …
  std::vector<Projection> projections;  // the units it averages
  bool flat = false;                    // mean over units rather than of projection means
};

// flat, projection (all seven), attention (q, k, v, o), qkv, mlp (gate, up, down), and each
// projection on its own.
std::vector<ProxyRule> AllProxyRules();

// Block value under `rule`; twin < 0 averages every twin, else only twin `twin`. NaN when the
// rule's projections were not measured.
double RuleDeltaR(const BlockCompactness& b, const ProxyRule& rule, int twin = -1);
double RuleDeltaE(const BlockCompactness& b, const ProxyRule& rule, int twin = -1);

// Spearman ρ of one rule against a per-block target (ΔPPL or measured KL).
struct RuleRho {
  std::string name;
  double delta_r = 0;                  // all twins averaged
  std::vector<double> delta_r_single;  // [twins] one twin at a time
  double delta_r_single_mean = 0, delta_r_single_sd = 0;
  double delta_e = 0;
  std::vector<double> delta_e_single;
  double delta_e_single_mean = 0, delta_e_single_sd = 0;
};
std::vector<RuleRho> ComputeRuleRho(const std::vector<BlockCompactness>& blocks, int twins,
                                    const std::vector<double>& target);

}  // namespace lieq
