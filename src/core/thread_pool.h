// A fixed pool of worker threads for data-parallel loops. The calling thread takes part,
// so ThreadPool(1) runs everything inline. Work is split into contiguous, deterministic
// ranges so results never depend on scheduling.
#pragma once

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

 private:
  void WorkerLoop(int index);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int, int64_t, int64_t)>* task_ = nullptr;
  int64_t task_n_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

// Threads to use when the user gives none: all hardware threads.
int DefaultThreadCount();

}  // namespace lieq
