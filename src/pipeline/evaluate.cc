#include "pipeline/evaluate.h"

#include <algorithm>

#include "core/mapped_file.h"
#include "eval/perplexity.h"
#include "runtime/transformer.h"
#include "tokenizer/tokenizer.h"

namespace lieq {

Result<PplMeasurement> MeasurePerplexity(const Model& model, const EvalTextOptions& options,
                                         const std::string& label, ThreadPool& pool,
                                         Progress& progress, int64_t* ctx_used) {
  if (!model.tokenizer) return InvalidArgument(label + " model has no tokenizer");
  LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(options.text_file));
  LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
  Result<std::vector<int32_t>> tokens = tokenizer.Encode(text, /*add_special=*/true);
  if (!tokens.ok()) return tokens.status().WithContext(options.text_file);
  PplOptions ppl;
  const int64_t model_ctx = model.config.max_position_embeddings;
  ppl.ctx = options.ctx > 0 ? options.ctx : std::min<int64_t>(2048, model_ctx);
  if (ppl.ctx > model_ctx) {
    return InvalidArgument("--eval-ctx " + std::to_string(ppl.ctx) +
                           " is longer than the model's context " + std::to_string(model_ctx));
  }
  ppl.max_windows = options.max_windows;
  const int64_t windows = static_cast<int64_t>(tokens->size()) / ppl.ctx;
  progress.Begin("perplexity " + label,
                 options.max_windows > 0 ? std::min(windows, options.max_windows) : windows,
                 "window", static_cast<double>(ppl.ctx), kLinePeriodSeconds);
  ppl.progress = [&progress](int64_t done, int64_t, double running) {
    char detail[48];
    std::snprintf(detail, sizeof(detail), "ppl %.3f", running);
    progress.Advance(done, detail);
  };
  Transformer transformer(model, pool);
  Result<PplResult> r = Perplexity(transformer, *tokens, ppl);
  progress.End();
  if (!r.ok()) return r.status().WithContext(label + " model on " + options.text_file);
  *ctx_used = ppl.ctx;
  return PplMeasurement{r->ppl, r->ppl_stderr};
}

}  // namespace lieq
