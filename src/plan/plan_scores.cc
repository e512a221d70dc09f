#include "plan/plan_scores.h"

namespace lieq {

Status ApplyDiagnosticsScores(const DiagnosticsScores& s, const std::string& source,
                              PlanRequest& r) {
  if (r.rank_by == "proxy") {
    r.scores = s.proxy;
  } else if (r.rank_by == "combined") {
    r.scores = s.combined;
  } else if (r.rank_by == "ppl") {
    if (s.ppl.empty()) {
      return InvalidArgument(source +
                             ": has no ΔPPL (diagnose with --eval-text) for --rank-by ppl");
    }
    r.scores = s.ppl;
  } else if (r.rank_by == "kl") {
    if (s.kl.empty()) {
      return InvalidArgument(source +
                             ": has no measured sensitivity (diagnose with --sensitivity-bits)");
    }
    r.cost_widths = s.kl_widths;
    r.costs = s.kl;
    r.cost_source = "kl " + s.kl_method;
  }
  return Status::Ok();
}

std::string DefaultRankBy(const DiagnosticsScores* scores, const std::string& source,
                          std::string* note) {
  if (scores == nullptr || !scores->kl.empty()) return "kl";
  *note = source +
          " has no measured sensitivity (lieq diagnose --sensitivity-bits 2,3,4,8); ranking by "
          "the proxy";
  return "proxy";
}

}  // namespace lieq
