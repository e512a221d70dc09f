// What a PlanRequest takes from a diagnostics.json (analysis/diagnostics.h) for a --rank-by
// rule: the proxy, ΔPPL or combined scores, or the measured per-width sensitivity for "kl".
// Shared by `lieq plan --diagnostics` and `lieq quantize --budget --diagnostics`.
#pragma once

#include <string>

#include "analysis/diagnostics.h"
#include "core/status.h"
#include "plan/planner.h"

namespace lieq {

// Fills request.scores (proxy, ppl, combined) or request.cost_widths/costs/cost_source (kl) for
// request.rank_by; nothing for random / first-last. Errors name `source` and what is missing
// ("has no ΔPPL (diagnose with --eval-text)", "has no measured sensitivity").
Status ApplyDiagnosticsScores(const DiagnosticsScores& scores, const std::string& source,
                              PlanRequest& request);

// The signal a plan ranks by when the user names none: the measured sensitivity ("kl", the best
// plans in docs/RESULTS.md), or "proxy" when `scores` (read from the diagnostics file `source`)
// holds no measured sensitivity; then `note` says so, for the front end to print. `scores`
// null: the diagnosis is made in this run, with sensitivity.
std::string DefaultRankBy(const DiagnosticsScores* scores, const std::string& source,
                          std::string* note);

}  // namespace lieq
