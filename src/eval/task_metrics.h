// lm-evaluation-harness's per-item metrics and their aggregation (lm_eval/api/task.py and
// metrics.py): acc, acc_norm, LAMBADA's acc and perplexity, and standard errors.
#pragma once

#include <cstdint>
#include <span>

namespace lieq {

// Index of the first maximum, as numpy.argmax.
int ArgMax(std::span<const double> values);

// acc: argmax of the summed log-likelihoods is the gold choice; acc_norm: argmax of
// loglikelihood / len(choice) (code points) is.
struct ChoiceOutcome {
  bool correct = false;
  bool correct_norm = false;
};
ChoiceOutcome ScoreChoices(std::span<const double> logliks, std::span<const int64_t> lengths,
                           int gold);

struct Estimate {
  double value = 0;
  double std_error = 0;
};

// Mean of per-item values with the sample standard error sqrt(var / n), var with n - 1 (the
// harness's mean_stderr); for 0/1 values that is sqrt(p(1-p)/(n-1)). 0 for n < 2.
Estimate MeanWithStderr(std::span<const double> values);

// The harness's "perplexity" aggregation of per-item log-likelihoods: exp(-mean). Its standard
// error is the delta-method ppl · stderr(mean) (the harness bootstraps it instead).
Estimate PerplexityOfLoglikelihoods(std::span<const double> logliks);

}  // namespace lieq
