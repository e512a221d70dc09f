#include "analysis/block_ppl.h"

#include <chrono>

namespace lieq {

Result<BlockPplResult> MeasureBlockPpl(Transformer& transformer, std::span<const int32_t> tokens,
                                       const PplOptions& options,
                                       const std::function<void(int, double)>& progress,
                                       const PplPassCache* cache) {
  const auto start = std::chrono::steady_clock::now();
  const auto L = static_cast<int>(transformer.config().num_layers);
  auto pass = [&](int block, const ForwardHooks* hooks) -> Result<PplPass> {
    if (cache != nullptr && cache->load) {
      if (std::optional<PplPass> hit = cache->load(block)) return *hit;
    }
    LIEQ_ASSIGN_OR_RETURN(PplResult p, Perplexity(transformer, tokens, options, hooks));
    const PplPass out{p.ppl, p.tokens_scored};
    if (cache != nullptr && cache->store) cache->store(block, out);
    if (progress) progress(block, p.ppl);
    return out;
  };
  BlockPplResult r;
  LIEQ_ASSIGN_OR_RETURN(PplPass base, pass(-1, nullptr));
  r.base_ppl = base.ppl;
  r.tokens_scored = base.tokens_scored;
  ForwardHooks hooks;
  for (int l = 0; l < L; ++l) {
    hooks.skip_blocks.assign(static_cast<size_t>(L), false);
    hooks.skip_blocks[static_cast<size_t>(l)] = true;
    LIEQ_ASSIGN_OR_RETURN(PplPass skipped, pass(l, &hooks));
    r.ppl.push_back(skipped.ppl);
    r.delta_ppl.push_back(skipped.ppl - base.ppl);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace lieq
