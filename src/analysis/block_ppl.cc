#include "analysis/block_ppl.h"

#include <chrono>

namespace lieq {

Result<BlockPplResult> MeasureBlockPpl(Transformer& transformer, std::span<const int32_t> tokens,
                                       const PplOptions& options,
                                       const std::function<void(int, double)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  const auto L = static_cast<int>(transformer.config().num_layers);
  BlockPplResult r;
  LIEQ_ASSIGN_OR_RETURN(PplResult base, Perplexity(transformer, tokens, options));
  r.base_ppl = base.ppl;
  r.tokens_scored = base.tokens_scored;
  if (progress) progress(-1, base.ppl);
  ForwardHooks hooks;
  for (int l = 0; l < L; ++l) {
    hooks.skip_blocks.assign(static_cast<size_t>(L), false);
    hooks.skip_blocks[static_cast<size_t>(l)] = true;
    LIEQ_ASSIGN_OR_RETURN(PplResult skipped, Perplexity(transformer, tokens, options, &hooks));
    r.ppl.push_back(skipped.ppl);
    r.delta_ppl.push_back(skipped.ppl - base.ppl);
    if (progress) progress(l, skipped.ppl);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace lieq
