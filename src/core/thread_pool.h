// A fixed pool of worker threads for data-parallel loops. The calling thread takes part,
// so ThreadPool(1) runs everything inline. Work is split into contiguous, deterministic
// ranges so results never depend on scheduling.
//
// Decoding one token makes a few hundred parallel calls of ~10-100 µs each, so waking a sleeping
// thread (a futex round trip, 5-50 µs) per call would cost a large share of the token. Idle
// threads therefore poll (with the CPU's spin-wait hint) for a bounded time, 50 µs, before they
// block on a condition variable: back-to-back calls rarely sleep, and on a shared host with more
// runnable threads than cores a poller wastes at most that budget per wait. Polling by yielding
// the core instead lost whole scheduler time slices to any background process.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lieq {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return num_threads_; }

  // Calls fn(thread_index, begin, end) on `size()` contiguous slices of [0, n).
  void ParallelRanges(int64_t n, const std::function<void(int, int64_t, int64_t)>& fn);

  // Calls fn(i) for every i in [0, n); slices as above.
  void ParallelFor(int64_t n, const std::function<void(int64_t)>& fn) {
    ParallelRanges(n, [&](int, int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) fn(i);
    });
  }

  // Calls fn(thread_index, i) for every i in [0, n), handing indices out one at a time to
  // whichever thread is free: for items of very uneven cost. Which thread runs an item varies
  // from run to run, so fn's result must not depend on it (thread_index is for scratch space).
  void ParallelForEach(int64_t n, const std::function<void(int, int64_t)>& fn);

 private:
  void WorkerLoop(int index);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  // Written by the caller before it publishes a new generation, read by workers after they see it.
  const std::function<void(int, int64_t, int64_t)>* task_ = nullptr;
  int64_t task_n_ = 0;
  std::atomic<uint64_t> generation_{0};  // incremented under mutex_: sleepers cannot miss it
  std::atomic<int> pending_{0};          // workers still running the current task
  std::atomic<bool> stop_{false};
};

// Threads to use when the user gives none: all hardware threads.
int DefaultThreadCount();

}  // namespace lieq
