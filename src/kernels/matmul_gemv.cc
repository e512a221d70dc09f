// Decode matmul: y[n, out] = x[n, in] · W[out, in]ᵀ for few rows of x, memory-bound.
//
// Every W element is loaded (and widened) once and multiplied into all rows of x, so W is
// streamed from memory once per call. Rows of W are taken one at a time; rows of x in groups of
// at most kMaxTokens, with one or more vector accumulators per row of x.
//
// Determinism: y[t, o] depends only on row o, the x rows of its group and the group size (which
// fixes the accumulator layout), never on which thread computes it, so any split of the rows
// between threads gives bitwise identical results.
//
// Compiled once per SIMD target by Highway's foreach_target.h and dispatched at run time.

// SVE and RVV vectors are sizeless and cannot live in the accumulator arrays used below.
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_gemv.cc"
#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/matmul.h"
#include "kernels/matmul_decoded.h"
#include "kernels/matmul_load-inl.h"
#include "kernels/matmul_parallel.h"
#include "kernels/simd_targets.h"

HWY_BEFORE_NAMESPACE();
namespace lieq {
namespace HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;

// Rows of x sharing one pass over W; 8 keeps the accumulators within 16 vector registers.
constexpr int kMaxTokens = 8;
// Most float lanes of any target: sizes the zero-padded tail buffers.
constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);

// Independent accumulators per token, so that at least ~4 FMA chains are in flight (FMA latency
// is 4 cycles) when there are few tokens.
template <int T>
constexpr int ChainsPerToken() {
  return T == 1 ? 4 : (T == 2 ? 2 : 1);
}

// out[t] = Σ_i w[i] · x[t][i] for one row w of W and T rows of x (x: [T, k], row stride k).
// One row at a time keeps each thread's reads of W a single sequential stream, which the
// hardware prefetchers follow at full speed (interleaving 4 rows measured ~2× slower).
template <class Weights, int T>
HWY_INLINE void DotRow(const typename Weights::Elem* HWY_RESTRICT w, const float* HWY_RESTRICT x,
                       int64_t k, float out[T]) {
  using Elem = typename Weights::Elem;
  constexpr int A = ChainsPerToken<T>();
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));

  V acc[A][T];
  for (int a = 0; a < A; ++a) {
    for (int t = 0; t < T; ++t) acc[a][t] = hn::Zero(df);
  }
  // acc[a][t] += w[j..j+lanes) · x[t][j..j+lanes), with x_at(t) pointing at x[t][j].
  auto step = [&](int a, const Elem* wp, auto x_at) HWY_ATTR {
    const V wv = Weights::Load(df, wp);
    for (int t = 0; t < T; ++t) acc[a][t] = hn::MulAdd(wv, hn::LoadU(df, x_at(t)), acc[a][t]);
  };

  // Pointers advance instead of an index: base+index addressing on the 16-bit loads measured
  // ~25% slower for F16 (vcvtph2ps from memory) on Zen 4.
  const Elem* wp = w;
  const float* xp = x;
  for (int64_t i = 0; i + A * lanes <= k; i += A * lanes) {
    for (int a = 0; a < A; ++a) {
      step(a, wp + a * lanes, [&](int t) { return xp + t * k + a * lanes; });
    }
    wp += A * lanes;
    xp += A * lanes;
  }
  int64_t i = wp - w;
  for (; i + lanes <= k; i += lanes) step(0, w + i, [&](int t) { return x + t * k + i; });
  if (i < k) {
    // The ragged end of `in`: zero-padded copies let the full-vector step run once more.
    const size_t rem = static_cast<size_t>(k - i);
    HWY_ALIGN Elem w_tail[kMaxLanes] = {};
    HWY_ALIGN float x_tail[T][kMaxLanes] = {};
    std::memcpy(w_tail, w + i, rem * sizeof(Elem));
    for (int t = 0; t < T; ++t) std::memcpy(x_tail[t], x + t * k + i, rem * sizeof(float));
    step(0, w_tail, [&](int t) -> const float* { return x_tail[t]; });
  }
  for (int t = 0; t < T; ++t) {
    V sum = acc[0][t];
    for (int a = 1; a < A; ++a) sum = hn::Add(sum, acc[a][t]);
    out[t] = hn::GetLane(hn::SumOfLanes(df, sum));
  }
}

// y[t, o] for T tokens and one row o of W. x: [T, k]; y: [T, ldy].
template <class Weights, int T>
HWY_INLINE void GemvRow(const typename Weights::Elem* HWY_RESTRICT w, int64_t k, int64_t o,
                        const float* HWY_RESTRICT x, float* HWY_RESTRICT y, int64_t ldy) {
  float out[T];
  DotRow<Weights, T>(w + o * k, x, k, out);
  for (int t = 0; t < T; ++t) y[t * ldy + o] = out[t];
}

// y[t, o] for all n tokens and one row o of W, tokens in groups of kMaxTokens.
template <class Weights>
HWY_INLINE void GemvRowAllTokens(const typename Weights::Elem* HWY_RESTRICT w, int64_t k, int64_t o,
                                 const float* HWY_RESTRICT x, int64_t n, float* HWY_RESTRICT y,
                                 int64_t ldy) {
  // All token groups pass over row o while it is in L1, so W is read from memory once.
  for (int64_t t0 = 0; t0 < n; t0 += kMaxTokens) {
    const float* xg = x + t0 * k;
    float* yg = y + t0 * ldy;
    // Templated on the group size so that the loops over tokens unroll into registers.
    switch (std::min<int64_t>(kMaxTokens, n - t0)) {
      case 1:
        GemvRow<Weights, 1>(w, k, o, xg, yg, ldy);
        break;
      case 2:
        GemvRow<Weights, 2>(w, k, o, xg, yg, ldy);
        break;
      case 3:
        GemvRow<Weights, 3>(w, k, o, xg, yg, ldy);
        break;
      case 4:
        GemvRow<Weights, 4>(w, k, o, xg, yg, ldy);
        break;
      case 5:
        GemvRow<Weights, 5>(w, k, o, xg, yg, ldy);
        break;
      case 6:
        GemvRow<Weights, 6>(w, k, o, xg, yg, ldy);
        break;
      case 7:
        GemvRow<Weights, 7>(w, k, o, xg, yg, ldy);
        break;
      default:
        GemvRow<Weights, 8>(w, k, o, xg, yg, ldy);
        break;
    }
  }
}

template <class Weights>
void GemvRowsTyped(const float* HWY_RESTRICT x, int64_t n, const std::byte* w_bytes, int64_t k,
                   int64_t out, int64_t r_begin, int64_t r_end, float* HWY_RESTRICT y) {
  const auto* w = reinterpret_cast<const typename Weights::Elem*>(w_bytes);
  for (int64_t o = r_begin; o < r_end; ++o) GemvRowAllTokens<Weights>(w, k, o, x, n, y, out);
}

}  // namespace

// Columns [r_begin, r_end) of y for all n rows of x. dtype is F32, F16 or BF16 (as uint32).
void GemvRows(const float* x, int64_t n, uint32_t dtype, const std::byte* w, int64_t k, int64_t out,
              int64_t r_begin, int64_t r_end, float* y) {
  switch (static_cast<DType>(dtype)) {
    case DType::kF32:
      GemvRowsTyped<F32Weights>(x, n, w, k, out, r_begin, r_end, y);
      break;
    case DType::kBF16:
      GemvRowsTyped<Bf16Weights>(x, n, w, k, out, r_begin, r_end, y);
      break;
    case DType::kF16:
      GemvRowsTyped<F16Weights>(x, n, w, k, out, r_begin, r_end, y);
      break;
    default:
      assert(false && "MatMulGemv: W must be F32, F16 or BF16");
  }
}

// One decoded F32 row against all n rows of x: y[t · ldy] (MatMulDecoded's decode path).
void GemvF32RowImpl(const float* w, const float* x, int64_t n, int64_t k, float* y, int64_t ldy) {
  GemvRowAllTokens<F32Weights>(w, k, 0, x, n, y, ldy);
}

const char* GemvTargetImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace lieq
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace lieq {

HWY_EXPORT(GemvRows);
HWY_EXPORT(GemvF32RowImpl);

void GemvF32Row(const float* w, const float* x, int64_t n, int64_t k, float* y, int64_t ldy) {
  HWY_DYNAMIC_DISPATCH(GemvF32RowImpl)(w, x, n, k, y, ldy);
}

void MatMulGemv(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool) {
  const int64_t out = w.rows(), k = w.cols();
  if (n <= 0 || out <= 0) return;
  // Threads take runs of kChunkRows rows (≥ 64 KiB of W: long sequential streams, few grabs).
  constexpr int64_t kChunkRows = 64;
  ParallelChunks(pool, out, kChunkRows, [&](int, int64_t b, int64_t e) {
    HWY_DYNAMIC_DISPATCH(GemvRows)(x, n, static_cast<uint32_t>(w.dtype), w.data, k, out, b, e, y);
  });
}

HWY_EXPORT(GemvTargetImpl);
const char* GemvSimdTarget() { return HWY_DYNAMIC_DISPATCH(GemvTargetImpl)(); }

}  // namespace lieq
#endif  // HWY_ONCE
