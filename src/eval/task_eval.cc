#include "eval/task_eval.h"

#include <chrono>

namespace lieq {

const Metric* TaskResult::Find(std::string_view name) const {
  for (const Metric& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

Result<TaskResult> EvaluateTask(LoglikelihoodScorer& scorer, const Tokenizer& tokenizer,
                                const TaskData& task, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t total = static_cast<int64_t>(task.items.size());
  const int64_t n = options.limit > 0 ? std::min(options.limit, total) : total;
  const int64_t tokens_before = scorer.tokens_run();
  TaskResult result;
  result.spec = task.spec;
  result.items_total = total;
  result.items = n;
  // Per item: acc, acc_norm (multiple choice) or greedy, log-likelihood (LAMBADA).
  std::vector<double> acc, acc_norm, loglik;
  for (int64_t i = 0; i < n; ++i) {
    const TaskItem& item = task.items[static_cast<size_t>(i)];
    const std::string where = task.source + ":" + std::to_string(item.line);
    std::vector<TokenizedRequest> tokenized;
    for (const Request& request : item.requests) {
      Result<TokenizedRequest> t = EncodePair(tokenizer, request, options.add_bos);
      if (!t.ok()) return t.status().WithContext(where);
      tokenized.push_back(std::move(t).value());
    }
    Result<std::vector<RequestScore>> scores = scorer.Score(tokenized);
    if (!scores.ok()) return scores.status().WithContext(where);
    result.requests += static_cast<int64_t>(scores->size());
    for (const RequestScore& s : *scores) result.truncated_requests += s.truncated;
    if (task.spec.kind == TaskKind::kLastWord) {
      acc.push_back(scores->front().greedy ? 1.0 : 0.0);
      loglik.push_back(scores->front().loglikelihood);
    } else {
      std::vector<double> lls;
      for (const RequestScore& s : *scores) lls.push_back(s.loglikelihood);
      const ChoiceOutcome outcome = ScoreChoices(lls, item.choice_lengths, item.gold);
      acc.push_back(outcome.correct ? 1.0 : 0.0);
      acc_norm.push_back(outcome.correct_norm ? 1.0 : 0.0);
    }
    if (options.progress) options.progress(i + 1, n);
  }
  if (task.spec.kind == TaskKind::kLastWord) {
    result.metrics.push_back({"perplexity", PerplexityOfLoglikelihoods(loglik), false});
    result.metrics.push_back({"acc", MeanWithStderr(acc), true});
  } else {
    result.metrics.push_back({"acc", MeanWithStderr(acc), true});
    if (task.spec.acc_norm) result.metrics.push_back({"acc_norm", MeanWithStderr(acc_norm), true});
  }
  result.tokens_run = scorer.tokens_run() - tokens_before;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace lieq
