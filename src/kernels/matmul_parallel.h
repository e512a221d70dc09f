// Dynamic work split for the matmul kernels: pool threads take fixed-size chunks of [0, n) from
// a shared counter until none are left. On a shared host a thread that loses its core for a
// while then simply takes fewer chunks, instead of holding up the call as a static half would.
// The chunk boundaries depend only on n and `chunk`, never on which thread runs a chunk, so a
// kernel whose result per chunk is fixed stays bitwise reproducible.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "core/thread_pool.h"

namespace lieq {

// Calls fn(thread, begin, end) for the chunks [i·chunk, min((i+1)·chunk, n)) of [0, n), each
// exactly once, from the pool's threads; thread < pool.size() names the caller (for scratch).
template <class Fn>
void ParallelChunks(ThreadPool& pool, int64_t n, int64_t chunk, const Fn& fn) {
  const int64_t chunks = (n + chunk - 1) / chunk;
  if (chunks <= 0) return;
  std::atomic<int64_t> next{0};
  pool.ParallelRanges(std::min<int64_t>(pool.size(), chunks), [&](int thread, int64_t, int64_t) {
    for (int64_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
         c = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(thread, c * chunk, std::min(n, (c + 1) * chunk));
    }
  });
}

}  // namespace lieq
