// Throughput of the linear-layer kernels on Qwen3-0.6B shapes, next to the machine's streaming
// read bandwidth measured in the same run.
//
//   bench_matmul [rounds [sections]]
//
// rounds: measurements per case (default 5); sections: any of d (decode), c (GEMV/GEMM
// crossover), p (prefill), q (packed weights: integer dot kernels vs decoding rows to floats),
// g (prefill GEMMs: the exact float path against the int8 / BF16 GEMMs of fast_prefill), default
// "dcpqg"; the streaming read is always measured.
// (Debian's OpenBLAS 0.3.21 needs OPENBLAS_CORETYPE=SkylakeX to use its AVX-512 kernels on
// recent CPUs.) The host may be shared, so every decode measurement is paired with a streaming
// read of a 1 GiB buffer taken just before it, and the table reports the median over rounds of
// each number and of the per-round ratio.
//
// Decode (n = 1..8): GB/s of W read, W cycled over enough copies to defeat the caches as a real
// model does. Prefill: GFLOP/s = 2·n·out·in / time, plus one multi-threaded cblas_sgemm call on
// the whole F32 matrix as the baseline that the panel scheme is measured against.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "hwy/highway.h"
#include "kernels/blas_core.h"
#include "kernels/gemm_bf16.h"
#include "kernels/gemm_q8.h"
#include "kernels/group_matmul.h"
#include "kernels/group_quant.h"
#include "kernels/matmul.h"
#include "kernels/matmul_decoded.h"
#include "kernels/matmul_q8.h"

namespace lieq {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using Clock = std::chrono::steady_clock;

// Decode weights are cycled over copies totalling at least this many bytes: 8× the 32 MiB L3.
constexpr int64_t kColdBytes = int64_t{256} << 20;
// The streaming-read buffer: far larger than every cache.
constexpr int64_t kStreamBytes = int64_t{1} << 30;

double Seconds(const std::function<void()>& fn) {
  const auto t0 = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Reads a buffer once, split between the pool's threads, with SIMD loads into four
// independent sums (never latency-bound).
class StreamRead {
 public:
  StreamRead() : buffer_(static_cast<size_t>(kStreamBytes)) {
    std::memset(buffer_.data(), 1, static_cast<size_t>(kStreamBytes));
  }

  double GBps(ThreadPool& pool) {
    const hn::ScalableTag<uint64_t> d;
    const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
    const int64_t blocks = kStreamBytes / 8 / (4 * lanes);
    const uint64_t* words = buffer_.As<uint64_t>();
    std::vector<uint64_t> sums(static_cast<size_t>(pool.size()));
    const double s = Seconds([&] {
      pool.ParallelRanges(blocks, [&](int thread, int64_t b, int64_t e) {
        auto a0 = hn::Zero(d), a1 = a0, a2 = a0, a3 = a0;
        for (const uint64_t* p = words + b * 4 * lanes; p < words + e * 4 * lanes; p += 4 * lanes) {
          a0 = hn::Add(a0, hn::Load(d, p));
          a1 = hn::Add(a1, hn::Load(d, p + lanes));
          a2 = hn::Add(a2, hn::Load(d, p + 2 * lanes));
          a3 = hn::Add(a3, hn::Load(d, p + 3 * lanes));
        }
        sums[static_cast<size_t>(thread)] =
            hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
      });
    });
    if (sums[0] == 1) std::printf(" ");  // keeps the loads alive
    return static_cast<double>(kStreamBytes) / s / 1e9;
  }

 private:
  AlignedBuffer buffer_;
};

// `copies` matrices [out, in] of dtype holding small finite values (they do not matter).
std::vector<OwnedTensor> MakeWeights(DType dtype, int64_t out, int64_t in, int copies) {
  std::vector<OwnedTensor> ws;
  uint32_t state = 12345;
  for (int c = 0; c < copies; ++c) {
    OwnedTensor t = OwnedTensor::Zeros(dtype, {out, in});
    const int64_t count = out * in;
    for (int64_t i = 0; i < count; ++i) {
      state = state * 1664525u + 1013904223u;  // an LCG: fast and good enough here
      if (dtype == DType::kF32) {
        t.f32()[i] = static_cast<float>(state >> 8) * 1e-9f;
      } else {
        // Exponent bits 0x38: normal values in both F16 (~0.5) and BF16 (~1e-4).
        t.buffer.As<uint16_t>()[i] = static_cast<uint16_t>(0x3800 | ((state >> 8) & 0x3ff));
      }
    }
    ws.push_back(std::move(t));
  }
  return ws;
}

int CopiesForColdCache(int64_t bytes) {
  return static_cast<int>(std::max<int64_t>(1, (kColdBytes + bytes - 1) / bytes));
}

struct Layer {
  const char* name;
  int64_t out, in;
};
constexpr Layer kLayers[] = {
    {"q", 2048, 1024},    {"k/v/o", 1024, 1024},     {"gate/up", 3072, 1024},
    {"down", 1024, 3072}, {"lm_head", 151936, 1024},
};
constexpr DType kDTypes[] = {DType::kF32, DType::kBF16, DType::kF16};

std::string DTypeName(DType dtype) { return std::string(Name(dtype)); }

void BenchDecode(int rounds, StreamRead& stream) {
  std::printf(
      "\n## Decode: MatMul (GEMV path). GB/s of W read; stream = 1 GiB read just before; "
      "%% = median of per-round ratios\n");
  std::printf("%-8s %-5s %2s | %7s %7s %5s | %7s %7s %5s | %8s\n", "layer", "dtype", "n", "1 thr",
              "stream", "%", "2 thr", "stream", "%", "GFLOP/s");
  for (const Layer& layer : kLayers) {
    for (DType dtype : kDTypes) {
      const int64_t bytes = RowBytes(dtype, layer.in) * layer.out;
      const int copies = CopiesForColdCache(bytes);
      const std::vector<OwnedTensor> ws = MakeWeights(dtype, layer.out, layer.in, copies);
      // Calls per round: enough to read kColdBytes, so each round outlasts timer noise.
      const int calls = copies;
      for (int64_t n : {1, 4, 8}) {
        if (n > 1 && layer.out > 4096) continue;  // lm_head decodes one token at a time
        std::vector<float> x(static_cast<size_t>(n * layer.in), 0.01f);
        std::vector<float> y(static_cast<size_t>(n * layer.out));
        std::printf("%-8s %-5s %2ld |", layer.name, DTypeName(dtype).c_str(), static_cast<long>(n));
        double gflops = 0;
        for (int threads : {1, 2}) {
          ThreadPool pool(threads);
          MatMul(x.data(), n, ws[0].view(), y.data(), pool);  // warm-up
          std::vector<double> gbps, streams, ratios;
          for (int r = 0; r < rounds; ++r) {
            const double s_gbps = stream.GBps(pool);
            const double s = Seconds([&] {
              for (int c = 0; c < calls; ++c) {
                MatMul(x.data(), n, ws[static_cast<size_t>(c)].view(), y.data(), pool);
              }
            });
            gbps.push_back(static_cast<double>(bytes) * calls / s / 1e9);
            streams.push_back(s_gbps);
            ratios.push_back(gbps.back() / s_gbps);
          }
          std::printf(" %7.1f %7.1f %4.0f%% |", Median(gbps), Median(streams),
                      100 * Median(ratios));
          gflops =
              Median(gbps) / static_cast<double>(RowBytes(dtype, 1)) * 2.0 * static_cast<double>(n);
        }
        std::printf(" %8.1f\n", gflops);
      }
    }
  }
}

// Random bytes: kernel speed does not depend on the values.
OwnedTensor RandomBytes(DType dtype, int64_t out, int64_t in, uint32_t seed) {
  OwnedTensor t = OwnedTensor::Zeros(dtype, {out, in});
  for (size_t i = 0; i < t.buffer.size(); ++i) {
    seed = seed * 1664525u + 1013904223u;
    t.buffer.data()[i] = static_cast<std::byte>(seed >> 24);
  }
  return t;
}

// Decode (n = 1) on packed weights, 2 threads, W cycled: the integer dot kernels on 8-bit
// activations (MatMulQ8, what MatMul runs) against decoding rows to floats and the F32 GEMV
// (MatMulDecoded, the path before the integer kernels), timed alternately round by round. GB/s
// of packed W read, and the fraction of the streaming read measured just before.
void BenchPacked(int rounds, StreamRead& stream) {
  std::printf(
      "\n## Packed decode (n = 1, 2 threads): GB/s of packed W; int8 = integer dot kernels, "
      "float = rows decoded to F32 + GEMV; %% of stream\n");
  std::printf("%-8s %-8s | %7s %5s | %7s %5s | %6s\n", "layer", "format", "int8", "%", "float", "%",
              "ratio");
  ThreadPool pool(2);
  const Layer layers[] = {kLayers[2], kLayers[4]};  // gate/up and lm_head
  struct Format {
    const char* name;
    DType dtype;  // GGUF block type, or kF32 for the group format
    int bits;     // group format
  };
  constexpr Format kFormats[] = {{"q2_K", DType::kQ2_K, 0}, {"q3_K", DType::kQ3_K, 0},
                                 {"q4_K", DType::kQ4_K, 0}, {"q6_K", DType::kQ6_K, 0},
                                 {"q8_0", DType::kQ8_0, 0}, {"group2", DType::kF32, 2},
                                 {"group4", DType::kF32, 4}};
  for (const Layer& layer : layers) {
    for (const Format& f : kFormats) {
      const bool group = f.bits != 0;
      constexpr int kGroup = 128;
      const int64_t groups = layer.in / kGroup;
      const int64_t row_bytes =
          group ? PackedRowBytes(f.bits, layer.in) + 4 * groups : RowBytes(f.dtype, layer.in);
      const int64_t bytes = row_bytes * layer.out;
      const int copies = CopiesForColdCache(bytes);
      std::vector<OwnedTensor> ws;
      std::vector<GroupQuantView> views;
      for (int c = 0; c < copies; ++c) {
        if (group) {
          // codes, then FP16 scales and zeros (small normal values) in one buffer.
          const int64_t code_bytes = PackedRowBytes(f.bits, layer.in) * layer.out;
          ws.push_back(RandomBytes(DType::kF32, 1, (bytes + 3) / 4, 7u + static_cast<uint32_t>(c)));
          auto* base = reinterpret_cast<uint8_t*>(ws.back().buffer.data());
          auto* halves = reinterpret_cast<uint16_t*>(base + code_bytes);
          for (int64_t i = 0; i < 2 * groups * layer.out; ++i) halves[i] = 0x2000;
          views.push_back(
              {f.bits, kGroup, layer.out, layer.in, base, halves, halves + groups * layer.out});
        } else {
          ws.push_back(RandomBytes(f.dtype, layer.out, layer.in, 7u + static_cast<uint32_t>(c)));
        }
      }
      std::vector<float> x(static_cast<size_t>(layer.in), 0.01f), y(static_cast<size_t>(layer.out));
      const auto run_int8 = [&](int c) {
        if (group) {
          MatMulQ8(x.data(), 1, GroupRowDotter(views[static_cast<size_t>(c)]), y.data(), pool);
        } else {
          MatMulQ8(x.data(), 1, TensorRowDotter(ws[static_cast<size_t>(c)].view()), y.data(), pool);
        }
      };
      const auto run_float = [&](int c) {
        if (group) {
          // What GroupMatMul runs for more rows: the SIMD row decoder, then the F32 GEMV.
          MatMulDecoded(x.data(), 1, GroupRowDecoder(views[static_cast<size_t>(c)]), y.data(),
                        pool);
        } else {
          MatMulDecoded(x.data(), 1, TensorRowDecoder(ws[static_cast<size_t>(c)].view()), y.data(),
                        pool);
        }
      };
      run_int8(0);
      run_float(0);
      std::vector<double> a, b, sa, sb, ratio;
      for (int r = 0; r < rounds; ++r) {
        const double st = stream.GBps(pool);
        const double ti = Seconds([&] {
          for (int c = 0; c < copies; ++c) run_int8(c);
        });
        const double tf = Seconds([&] {
          for (int c = 0; c < copies; ++c) run_float(c);
        });
        a.push_back(static_cast<double>(bytes) * copies / ti / 1e9);
        b.push_back(static_cast<double>(bytes) * copies / tf / 1e9);
        sa.push_back(a.back() / st);
        sb.push_back(b.back() / st);
        ratio.push_back(tf / ti);
      }
      std::printf("%-8s %-8s | %7.1f %4.0f%% | %7.1f %4.0f%% | %5.2fx\n", layer.name, f.name,
                  Median(a), 100 * Median(sa), Median(b), 100 * Median(sb), Median(ratio));
    }
  }
}

// Both paths at the sizes around kMatMulGemvMaxRows, to place the crossover; the two are timed
// alternately, round by round.
void BenchCrossover(int rounds) {
  std::printf("\n## Crossover (gate/up %ldx%ld, 2 threads, W cycled): us per call, median\n",
              static_cast<long>(kLayers[2].out), static_cast<long>(kLayers[2].in));
  std::printf("%-5s %4s | %9s %9s\n", "dtype", "n", "Gemv", "Gemm");
  const Layer layer = kLayers[2];
  ThreadPool pool(2);
  for (DType dtype : kDTypes) {
    const int64_t bytes = RowBytes(dtype, layer.in) * layer.out;
    const int copies = CopiesForColdCache(bytes);
    const std::vector<OwnedTensor> ws = MakeWeights(dtype, layer.out, layer.in, copies);
    for (int64_t n : {4, 8, 9, 12, 16, 24, 32, 48}) {
      std::vector<float> x(static_cast<size_t>(n * layer.in), 0.01f);
      std::vector<float> y(static_cast<size_t>(n * layer.out));
      std::vector<double> gemv, gemm;
      for (int r = 0; r < rounds; ++r) {
        gemv.push_back(Seconds([&] {
                         for (int c = 0; c < copies; ++c) {
                           MatMulGemv(x.data(), n, ws[static_cast<size_t>(c)].view(), y.data(),
                                      pool);
                         }
                       }) /
                       copies);
        gemm.push_back(Seconds([&] {
                         for (int c = 0; c < copies; ++c) {
                           MatMulGemm(x.data(), n, ws[static_cast<size_t>(c)].view(), y.data(),
                                      pool);
                         }
                       }) /
                       copies);
      }
      std::printf("%-5s %4ld | %9.1f %9.1f\n", DTypeName(dtype).c_str(), static_cast<long>(n),
                  Median(gemv) * 1e6, Median(gemm) * 1e6);
    }
  }
}

void BenchPrefill(int rounds) {
  std::printf("\n## Prefill: MatMul (panel sgemm path), GFLOP/s, median of rounds\n");
  std::printf("%-8s %-5s %5s | %8s %8s | %s\n", "layer", "dtype", "n", "1 thr", "2 thr",
              "F32 only: one cblas_sgemm call, OpenBLAS threads 1 / 2");
  struct Case {
    Layer layer;
    int64_t n;
  };
  // lm_head is scored 64 rows at a time by the perplexity code.
  const Case cases[] = {{kLayers[0], 512}, {kLayers[1], 512},  {kLayers[2], 512},
                        {kLayers[3], 512}, {kLayers[2], 2048}, {kLayers[4], 64}};
  for (const Case& c : cases) {
    const double flops = 2.0 * static_cast<double>(c.n * c.layer.out * c.layer.in);
    std::vector<float> x(static_cast<size_t>(c.n * c.layer.in), 0.01f);
    std::vector<float> y(static_cast<size_t>(c.n * c.layer.out));
    for (DType dtype : kDTypes) {
      const std::vector<OwnedTensor> ws = MakeWeights(dtype, c.layer.out, c.layer.in, 1);
      const TensorView w = ws[0].view();
      std::printf("%-8s %-5s %5ld |", c.layer.name, DTypeName(dtype).c_str(),
                  static_cast<long>(c.n));
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        MatMul(x.data(), c.n, w, y.data(), pool);  // warm-up
        std::vector<double> g;
        for (int r = 0; r < rounds; ++r) {
          g.push_back(flops / Seconds([&] { MatMul(x.data(), c.n, w, y.data(), pool); }) / 1e9);
        }
        std::printf(" %8.1f", Median(g));
      }
      std::printf(" |");
      if (dtype == DType::kF32) {
        for (int threads : {1, 2}) {
          openblas_set_num_threads(threads);
          auto call = [&] {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(c.n),
                        static_cast<int>(c.layer.out), static_cast<int>(c.layer.in), 1.0f, x.data(),
                        static_cast<int>(c.layer.in), w.F32().data(), static_cast<int>(c.layer.in),
                        0.0f, y.data(), static_cast<int>(c.layer.out));
          };
          call();  // warm-up
          std::vector<double> g;
          for (int r = 0; r < rounds; ++r) g.push_back(flops / Seconds(call) / 1e9);
          std::printf(" %8.1f", Median(g));
        }
        openblas_set_num_threads(1);
      }
      std::printf("\n");
    }
  }
}

// Prefill on the layer shapes of Qwen3-0.6B, n = 512, 2 threads: MatMul's exact path (packed
// weights: panels decoded to F32 + sgemm; BF16: panels widened to F32 + sgemm) against the fast
// path (MatMulOptions::fast_prefill: the int8 GEMM of gemm_q8.h, the BF16 GEMM of gemm_bf16.h),
// timed alternately round by round. GFLOP/s = 2·n·out·in / time; ratio = median of per-round
// exact/fast time ratios.
void BenchPrefillGemm(int rounds) {
  std::printf(
      "\n## Prefill GEMMs (n = 512, 2 threads): GFLOP/s, exact = decoded/widened panels + sgemm, "
      "fast = int8 GEMM (%s) / BF16 GEMM (%s)\n",
      GemmQ8Kind(), GemmBf16Supported() ? "vdpbf16ps" : "none: widen + sgemm");
  std::printf("%-8s %-7s | %8s %8s | %6s\n", "layer", "format", "exact", "fast", "ratio");
  ThreadPool pool(2);
  constexpr int64_t n = 512;
  struct Format {
    const char* name;
    DType dtype;                       // kBF16, a GGUF block type, or kF32 for the group format
    int bits;                          // group format
    std::vector<size_t> half_offsets;  // block types: fp16 fields set to sane scales
  };
  const Format formats[] = {{"bf16", DType::kBF16, 0, {}},    {"q2_K", DType::kQ2_K, 0, {80, 82}},
                            {"q3_K", DType::kQ3_K, 0, {108}}, {"q4_K", DType::kQ4_K, 0, {0, 2}},
                            {"q6_K", DType::kQ6_K, 0, {208}}, {"group2", DType::kF32, 2, {}},
                            {"group4", DType::kF32, 4, {}}};
  for (const Layer& layer : {kLayers[0], kLayers[1], kLayers[2], kLayers[3]}) {
    const double flops = 2.0 * static_cast<double>(n * layer.out * layer.in);
    std::vector<float> x(static_cast<size_t>(n * layer.in));
    uint32_t state = 99;
    for (auto& v : x) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<float>(static_cast<int32_t>(state)) * 1e-9f;
    }
    std::vector<float> y(static_cast<size_t>(n * layer.out));
    for (const Format& f : formats) {
      OwnedTensor t;
      GroupQuantView view;
      constexpr int kGroup = 128;
      const int64_t groups = layer.in / kGroup;
      if (f.dtype == DType::kBF16) {
        t = std::move(MakeWeights(DType::kBF16, layer.out, layer.in, 1)[0]);
      } else if (f.bits == 0) {
        t = RandomBytes(f.dtype, layer.out, layer.in, 7u);
        const int64_t block_bytes = RowBytes(f.dtype, 256);
        for (int64_t b = 0; b < layer.out * layer.in / 256; ++b) {
          for (size_t off : f.half_offsets) {
            const uint16_t h = 0x2000 | static_cast<uint16_t>(b & 0x3ff);  // ~1e-2, normal
            std::memcpy(t.buffer.data() + b * block_bytes + off, &h, 2);
          }
        }
      } else {
        const int64_t code_bytes = PackedRowBytes(f.bits, layer.in) * layer.out;
        t = RandomBytes(DType::kF32, 1, (code_bytes + 4 * groups * layer.out + 3) / 4, 7u);
        auto* base = reinterpret_cast<uint8_t*>(t.buffer.data());
        auto* halves = reinterpret_cast<uint16_t*>(base + code_bytes);
        for (int64_t i = 0; i < groups * layer.out; ++i) halves[i] = 0x2000;  // scales
        for (int64_t i = 0; i < groups * layer.out; ++i)
          halves[groups * layer.out + i] = 0x4000;  // zeros: 2
        view = {f.bits, kGroup, layer.out, layer.in, base, halves, halves + groups * layer.out};
      }
      const auto run = [&](bool fast) {
        const MatMulOptions options{.fast_prefill = fast};
        if (f.bits != 0) {
          GroupMatMul(x.data(), n, view, y.data(), pool, options);
        } else {
          MatMul(x.data(), n, t.view(), y.data(), pool, options);
        }
      };
      run(false);
      run(true);
      std::vector<double> exact, fast, ratio;
      for (int r = 0; r < rounds; ++r) {
        const double te = Seconds([&] { run(false); });
        const double tf = Seconds([&] { run(true); });
        exact.push_back(flops / te / 1e9);
        fast.push_back(flops / tf / 1e9);
        ratio.push_back(te / tf);
      }
      std::printf("%-8s %-7s | %8.1f %8.1f | %5.2fx\n", layer.name, f.name, Median(exact),
                  Median(fast), Median(ratio));
      std::fflush(stdout);
    }
  }
}

int Main(int argc, char** argv) {
  EnsureOpenBlasCoreType(argv);  // the kernels lieq itself uses
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::string sections = argc > 2 ? argv[2] : "dcpqg";
  if (rounds < 1 || sections.find_first_not_of("dcpqg") != std::string::npos) {
    std::fprintf(stderr, "usage: bench_matmul [rounds >= 1 [sections: any of d, c, p, q, g]]\n");
    return 2;
  }
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("OpenBLAS core: %s (OPENBLAS_CORETYPE=%s), SIMD baseline: %s\n",
              openblas_get_corename(), core ? core : "unset", hwy::TargetName(HWY_STATIC_TARGET));
  StreamRead stream;
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    std::vector<double> g;
    for (int r = 0; r < rounds; ++r) g.push_back(stream.GBps(pool));
    std::printf("Streaming read of 1 GiB, %d thread(s): median %.1f GB/s, best %.1f GB/s\n",
                threads, Median(g), *std::max_element(g.begin(), g.end()));
  }
  if (sections.find('d') != std::string::npos) BenchDecode(rounds, stream);
  if (sections.find('c') != std::string::npos) BenchCrossover(rounds);
  if (sections.find('p') != std::string::npos) BenchPrefill(rounds);
  if (sections.find('q') != std::string::npos) BenchPacked(rounds, stream);
  if (sections.find('g') != std::string::npos) BenchPrefillGemm(rounds);
  return 0;
}

}  // namespace
}  // namespace lieq

int main(int argc, char** argv) { return lieq::Main(argc, argv); }
