// Causal grouped-query attention over the KV cache.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "model/config.h"

namespace lieq {

// For the n new tokens at positions pos0..pos0+n-1:
//   out[t, h] = Σ_{j ≤ pos0+t} softmax_j(q[t, h] · k[j, g(h)] / √hd) · v[j, g(h)],
// with g(h) = h / (H / Hkv) the key/value head shared by query head h.
// q, out: [n, H*hd]; keys, values: [pos0+n, Hkv*hd] (the cache, new tokens included).
void CausalAttention(const ModelConfig& config, const float* q, const float* keys,
                     const float* values, int64_t n, int64_t pos0, float* out, ThreadPool& pool);

}  // namespace lieq
