#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace lieq {
namespace {

// How long an idle thread polls before it blocks: longer than the gap between two parallel
// calls of one decode step (a few µs), short enough that an oversubscribed host loses at most
// this much of a core per wait.
constexpr auto kSpinBudget = std::chrono::microseconds(50);

// Tells the core that this is a spin-wait (x86 pause, Arm yield): the sibling hyperthread gets
// the pipeline, and the core stays ours. An earlier version called sched_yield here, which under
// CFS hands the core to any runnable process for a whole time slice, even one at nice 19: with
// one background job on the 2-core machine, decode fell to 0.6x (bench/run_vs_llamacpp.sh).
inline void SpinPause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls pred() until it holds or the budget runs out; returns pred().
template <class Pred>
bool SpinUntil(const Pred& pred) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinBudget;
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (pred()) return true;
      SpinPause();
    }
    if (std::chrono::steady_clock::now() >= deadline) return pred();
  }
}

void SliceBounds(int64_t n, int parts, int index, int64_t* begin, int64_t* end) {
  const int64_t base = n / parts;
  const int64_t rem = n % parts;
  *begin = index * base + std::min<int64_t>(index, rem);
  *end = *begin + base + (index < rem ? 1 : 0);
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  start_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::ParallelRanges(int64_t n, const std::function<void(int, int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (num_threads_ == 1 || n == 1) {
    fn(0, 0, n);
    return;
  }
  task_ = &fn;
  task_n_ = n;
  pending_.store(num_threads_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  int64_t b, e;
  SliceBounds(n, num_threads_, 0, &b, &e);
  if (b < e) fn(0, b, e);
  const auto done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!SpinUntil(done)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, done);
  }
  task_ = nullptr;
}

void ThreadPool::ParallelForEach(int64_t n, const std::function<void(int, int64_t)>& fn) {
  std::atomic<int64_t> next{0};
  ParallelRanges(num_threads_, [&](int thread, int64_t, int64_t) {
    for (int64_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(thread, i);
  });
}

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    const auto started = [&] {
      return stop_.load(std::memory_order_acquire) ||
             generation_.load(std::memory_order_acquire) != seen;
    };
    if (!SpinUntil(started)) {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, started);
    }
    if (stop_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    int64_t b, e;
    SliceBounds(task_n_, num_threads_, index, &b, &e);
    if (b < e) (*task_)(index, b, e);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex, so a caller between its predicate check and its wait cannot miss it.
      std::lock_guard<std::mutex> lock(mutex_);
      done_cv_.notify_one();
    }
  }
}

int DefaultThreadCount() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace lieq
