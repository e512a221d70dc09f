// ΔPPL_l: perplexity with block l replaced by the identity (ForwardHooks::skip_blocks: its
// residual stream passes through unchanged) minus the base perplexity. L + 1 passes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/status.h"
#include "eval/perplexity.h"
#include "runtime/transformer.h"

namespace lieq {

struct BlockPplResult {
  double base_ppl = 0;
  std::vector<double> ppl;        // [L] with block l skipped
  std::vector<double> delta_ppl;  // [L] ppl[l] − base_ppl
  int64_t tokens_scored = 0;      // per pass
  double seconds = 0;
};

// One perplexity pass: what BlockPplResult keeps of it.
struct PplPass {
  double ppl = 0;
  int64_t tokens_scored = 0;
};

// Resume hooks (analysis/diagnose_cache.h); block −1 is the base pass. A pass that `load`
// returns is not run again; `store` gets each pass that was run.
struct PplPassCache {
  std::function<std::optional<PplPass>(int block)> load;
  std::function<void(int block, const PplPass&)> store;
};

// `progress(block, ppl)` after each pass that was run; block −1 is the base pass.
Result<BlockPplResult> MeasureBlockPpl(Transformer& transformer, std::span<const int32_t> tokens,
                                       const PplOptions& options,
                                       const std::function<void(int, double)>& progress = {},
                                       const PplPassCache* cache = nullptr);

}  // namespace lieq
