// End-to-end speed of the engine on any model lieq loads (Hugging Face folder or GGUF), measured
// the way llama-bench measures it so that the two can be put side by side:
//   pp N: one Forward of N random tokens into an empty KV cache, logits of the last token only
//         (llama-bench's "pp512": one batch, output for the last position).
//   tg N: N single-token Forwards (+ logits) starting from an empty cache (llama-bench's
//         "tg128": no prompt; each token at the next position).
// Each test runs once as a warm-up, then `--reps` times; the median and the spread are printed,
// plus one machine-readable line per test:
//   RESULT <model> <test> <tokens/s median> <tokens/s min> <tokens/s max> <weight bytes>
// <weight bytes> is what one decode step reads of the weights (every linear layer + lm_head);
// run_vs_llamacpp.sh divides it by the streaming bandwidth for the decode bandwidth fraction.
//
// Prefill runs the fast kernels (kernels/matmul.h MatMulOptions::fast_prefill: the int8 and
// BF16 GEMMs), as `lieq generate` does; --prefill exact runs the float path `lieq ppl` keeps,
// --prefill both measures pp with each in the same run, interleaved rep by rep, and prints the
// median ratio.
//
// Usage: bench_engine MODEL [--pp 512] [--tg 128] [--reps 3] [--threads 2] [--cpu-clock]
//                           [--prefill fast|exact|both]
//        --cpu-clock: time by this process's CPU time instead of the wall clock. With --threads 1
//        that is the compute time alone, however busy the machine (other processes' time is not
//        counted); for comparing two builds on a shared machine (bench/compare_native.sh).
//        bench_engine --stream [--threads 2]   streaming read bandwidth, "STREAM <GB/s>": the
//        median of 5 reads of a 1 GiB buffer split over the threads (the decode bound's divisor)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "io/model_loader.h"
#include "kernels/blas_core.h"
#include "runtime/transformer.h"

namespace lieq {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string model;
  int64_t pp = 512;
  int64_t tg = 128;
  int reps = 3;
  int threads = 2;
  bool cpu_clock = false;
  bool stream = false;
  std::string prefill = "fast";
};

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--stream") {
      o->stream = true;
    } else if (a == "--pp" && (v = next())) {
      o->pp = std::atoll(v);
    } else if (a == "--tg" && (v = next())) {
      o->tg = std::atoll(v);
    } else if (a == "--cpu-clock") {
      o->cpu_clock = true;
    } else if (a == "--reps" && (v = next())) {
      o->reps = std::atoi(v);
    } else if (a == "--threads" && (v = next())) {
      o->threads = std::atoi(v);
    } else if (a == "--prefill" && (v = next())) {
      o->prefill = v;
    } else if (!a.empty() && a[0] != '-' && o->model.empty()) {
      o->model = a;
    } else {
      return false;
    }
  }
  const bool prefill_ok = o->prefill == "fast" || o->prefill == "exact" || o->prefill == "both";
  return (o->stream || !o->model.empty()) && o->reps > 0 && o->threads > 0 && prefill_ok;
}

int64_t LinearBytes(const Linear& l) {
  if (l.is_packed()) {
    const GroupQuantView& p = l.packed;
    return p.rows * PackedRowBytes(p.bits, p.cols) + 2 * 2 * p.rows * p.groups_per_row();
  }
  return l.w.SizeBytes();
}

// Bytes of weights one decode step streams: all block linears and the output head.
int64_t DecodeWeightBytes(const Model& model) {
  int64_t bytes = model.weights.lm_head.SizeBytes();
  for (const BlockWeights& b : model.weights.blocks) {
    for (Projection p : kAllProjections) bytes += LinearBytes(b.linear(p));
  }
  return bytes;
}

std::vector<int32_t> RandomTokens(int64_t n, int64_t vocab, uint64_t seed) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& id : t) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    id = static_cast<int32_t>((seed >> 33) % static_cast<uint64_t>(vocab));
  }
  return t;
}

// Seconds on the wall clock, or of this process's CPU time.
double Seconds(bool cpu_clock) {
  if (!cpu_clock) return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// A KV cache for every run, allocated and written once: like llama-bench's context, whose
// buffer is cleared at creation, so no run pays the first-touch page faults of a fresh cache
// (about 5 % of a pp512 pass here).
KvCache PrefaultedCache(const ModelConfig& c, int64_t capacity) {
  KvCache cache(c, capacity);
  for (int l = 0; l < static_cast<int>(c.num_layers); ++l) {
    std::fill_n(cache.keys(l), capacity * cache.kv_dim(), 0.0f);
    std::fill_n(cache.values(l), capacity * cache.kv_dim(), 0.0f);
  }
  return cache;
}

// Seconds for a prefill of `tokens` into an empty cache plus the last token's logits.
double Prefill(Transformer& tr, std::span<const int32_t> tokens, KvCache& cache,
               std::vector<float>& hidden, std::vector<float>& logits, bool cpu_clock) {
  const ModelConfig& c = tr.config();
  cache.Clear();
  const double t0 = Seconds(cpu_clock);
  Status s = tr.Forward(tokens, cache, hidden.data());
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    std::exit(1);
  }
  tr.Logits(hidden.data() + (tokens.size() - 1) * c.hidden_size, 1, logits.data());
  return Seconds(cpu_clock) - t0;
}

// Seconds for len(tokens) single-token steps from an empty cache, logits after each.
double Decode(Transformer& tr, std::span<const int32_t> tokens, KvCache& cache,
              std::vector<float>& hidden, std::vector<float>& logits, bool cpu_clock) {
  cache.Clear();
  const double t0 = Seconds(cpu_clock);
  for (size_t i = 0; i < tokens.size(); ++i) {
    Status s = tr.Forward(tokens.subspan(i, 1), cache, hidden.data());
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      std::exit(1);
    }
    tr.Logits(hidden.data(), 1, logits.data());
  }
  return Seconds(cpu_clock) - t0;
}

// GB/s of a sequential read of a buffer far larger than the caches, split over the pool by
// contiguous ranges; the sums keep the compiler from dropping the loads (auto-vectorised).
double StreamGBps(ThreadPool& pool) {
  constexpr int64_t kBytes = int64_t{1} << 30;
  const int64_t words = kBytes / 8;
  std::vector<uint64_t> buffer(static_cast<size_t>(words), 1);
  std::vector<double> gbps;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<uint64_t> sums(static_cast<size_t>(pool.size()), 0);
    const auto t0 = Clock::now();
    pool.ParallelRanges(words, [&](int thread, int64_t b, int64_t e) {
      uint64_t s = 0;
      for (int64_t i = b; i < e; ++i) s += buffer[static_cast<size_t>(i)];
      sums[static_cast<size_t>(thread)] += s;
    });
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    uint64_t total = 0;
    for (uint64_t v : sums) total += v;
    if (total != static_cast<uint64_t>(words)) std::abort();
    gbps.push_back(static_cast<double>(kBytes) / s / 1e9);
  }
  std::sort(gbps.begin(), gbps.end());
  return gbps[gbps.size() / 2];
}

int Main(int argc, char** argv) {
  EnsureOpenBlasCoreType(argv);  // the kernels lieq itself uses
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(
        stderr,
        "usage: bench_engine MODEL [--pp 512] [--tg 128] [--reps 3] [--threads 2] [--cpu-clock]\n"
        "                           [--prefill fast|exact|both]\n"
        "       bench_engine --stream [--threads 2]\n");
    return 2;
  }
  if (o.stream) {
    ThreadPool pool(o.threads);
    std::printf("STREAM %.2f\n", StreamGBps(pool));
    return 0;
  }
  const auto load0 = Clock::now();
  Result<Model> loaded = LoadModel(o.model);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 1;
  }
  const Model& model = *loaded;
  const double load_s = std::chrono::duration<double>(Clock::now() - load0).count();
  const ModelConfig& c = model.config;
  const int64_t weight_bytes = DecodeWeightBytes(model);
  std::printf(
      "model %s: %lld layers, d=%lld, vocab=%lld, decode weight bytes %.1f MiB, load %.2f s\n",
      o.model.c_str(), static_cast<long long>(c.num_layers), static_cast<long long>(c.hidden_size),
      static_cast<long long>(c.vocab_size), weight_bytes / 1048576.0, load_s);

  ThreadPool pool(o.threads);
  Transformer exact(model, pool, MatMulOptions{.fast_prefill = false});
  Transformer fast(model, pool, MatMulOptions{.fast_prefill = true});
  Transformer& tr = o.prefill == "exact" ? exact : fast;
  const int64_t max_n = std::max<int64_t>(o.pp, 1);
  std::vector<float> hidden(static_cast<size_t>(max_n * c.hidden_size));
  std::vector<float> logits(static_cast<size_t>(c.vocab_size));
  KvCache cache = PrefaultedCache(c, std::max<int64_t>({o.pp, o.tg, 16}));

  auto report = [&](const char* name, int64_t n, auto run) {
    if (n <= 0) return;
    const std::vector<int32_t> tokens = RandomTokens(n, c.vocab_size, 42 + n);
    // Warm-up on a short prefix: pages in the weights and sizes the scratch buffers.
    run(std::vector<int32_t>(tokens.begin(), tokens.begin() + std::min<int64_t>(n, 16)));
    std::vector<double> tps;
    for (int r = 0; r < o.reps; ++r) tps.push_back(static_cast<double>(n) / run(tokens));
    std::sort(tps.begin(), tps.end());
    const double median = tps[tps.size() / 2];
    std::printf("%s%lld: %8.2f tok/s (min %.2f, max %.2f, %d reps, %d threads)\n", name,
                static_cast<long long>(n), median, tps.front(), tps.back(), o.reps, o.threads);
    std::printf("RESULT %s %s%lld %.3f %.3f %.3f %lld\n", o.model.c_str(), name,
                static_cast<long long>(n), median, tps.front(), tps.back(),
                static_cast<long long>(weight_bytes));
    std::fflush(stdout);
  };
  if (o.prefill == "both") {
    // Interleaved rep by rep (exact, then fast), so that both see the same load on a shared
    // host; the ratio is the median of the per-rep time ratios.
    const std::vector<int32_t> tokens = RandomTokens(o.pp, c.vocab_size, 42 + o.pp);
    const std::vector<int32_t> warm(tokens.begin(), tokens.begin() + std::min<int64_t>(o.pp, 16));
    Prefill(exact, warm, cache, hidden, logits, o.cpu_clock);
    Prefill(fast, warm, cache, hidden, logits, o.cpu_clock);
    std::vector<double> te, tf, ratio;
    for (int r = 0; r < o.reps; ++r) {
      te.push_back(Prefill(exact, tokens, cache, hidden, logits, o.cpu_clock));
      tf.push_back(Prefill(fast, tokens, cache, hidden, logits, o.cpu_clock));
      ratio.push_back(te.back() / tf.back());
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const double n = static_cast<double>(o.pp);
    std::printf(
        "pp%lld exact %8.2f tok/s, fast %8.2f tok/s, fast/exact %.2fx (medians of %d "
        "interleaved reps, %d threads)\n",
        static_cast<long long>(o.pp), n / median(te), n / median(tf), median(ratio), o.reps,
        o.threads);
    std::printf("RESULT %s pp%lld-exact %.3f\nRESULT %s pp%lld-fast %.3f\n", o.model.c_str(),
                static_cast<long long>(o.pp), n / median(te), o.model.c_str(),
                static_cast<long long>(o.pp), n / median(tf));
    std::fflush(stdout);
  } else {
    report("pp", o.pp, [&](const std::vector<int32_t>& t) {
      return Prefill(tr, t, cache, hidden, logits, o.cpu_clock);
    });
  }
  report("tg", o.tg, [&](const std::vector<int32_t>& t) {
    return Decode(tr, t, cache, hidden, logits, o.cpu_clock);
  });
  return 0;
}

}  // namespace
}  // namespace lieq

int main(int argc, char** argv) { return lieq::Main(argc, argv); }
