// Linear layers: y[n, out] = x[n, in] · W[out, in]ᵀ for every weight dtype the engine runs.
//
// Two fast paths, both parallel over the ThreadPool by output rows (never over `in`), so the
// value of every y element is computed by the same instruction sequence whatever the thread
// count: results are bitwise identical for 1 and N threads.
//   - MatMulGemv (decode, few rows of x): SIMD dot products (Google Highway, dispatched at run
//     time) that stream W from memory once for all rows of x.
//   - MatMulGemm (prefill, many rows of x): W in fixed panels of rows, BF16/F16 panels widened
//     to F32 in a per-thread scratch buffer, each panel multiplied by cblas_sgemm.
// MatMul picks between them by n.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"

namespace lieq {

// Largest n that MatMul sends to MatMulGemv. GEMV is memory-bound for a few rows and then
// FMA-bound; sgemm's register blocking wins only from ~16-24 rows, because below that OpenBLAS
// spends more on packing (and the 16-bit paths on widening whole panels) than it saves
// (bench_matmul's crossover table).
inline constexpr int64_t kMatMulGemvMaxRows = 16;

// Largest n for which packed weights (block types, the group format) go to the integer dot
// kernels (kernels/matmul_q8.h) instead of being decoded to floats: they unpack every weight once
// per row of x, which beats decoding once and reusing the floats only for a few rows.
inline constexpr int64_t kMatMulQ8MaxRows = 8;

// Rows of W per sgemm call in MatMulGemm. A fixed number (not "rows / threads") so that the
// split, and with it every result, does not depend on the thread count; 256 keeps a widened
// panel of a 1024-wide layer (1 MiB) in L2 and the panel count of small layers above 2.
inline constexpr int64_t kMatMulPanelRows = 512;

// How MatMul runs prefill (n > kMatMulQ8MaxRows for packed weights, n > kMatMulGemvMaxRows for
// 16-bit ones). The default keeps the activations exact (floats into sgemm), which `lieq ppl`
// relies on to measure the weights rather than the kernel; fast_prefill trades the activations'
// rounding for speed where the CPU has a kernel for it:
//   - packed weights: the integer GEMM of kernels/gemm_q8.h (x quantized to 8 bits per 256, the
//     decode path's error bound);
//   - BF16 weights: the AVX512-BF16 GEMM of kernels/gemm_bf16.h (x rounded to BF16).
// Decode (few rows) is the same either way.
struct MatMulOptions {
  bool fast_prefill = false;
};

// Fast path: MatMulGemv for n <= kMatMulGemvMaxRows, MatMulGemm otherwise. W in a GGUF block
// type (Q8_0, Q4_0, Q4_1, Q2_K ... Q6_K) stays packed in memory: for n <= kMatMulQ8MaxRows it
// goes to the integer dot kernels (MatMulQ8: x quantized to 8 bits per block, as llama.cpp does),
// else to MatMulDecoded (kernels/matmul_decoded.h), which decodes rows just before use.
// With options.fast_prefill, prefill takes the GEMMs above where they apply.
// W may be F32, F16, BF16 or a block type. y must not alias x.
void MatMul(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool,
            const MatMulOptions& options = {});

// Decode path, valid for any n (x is consumed in groups of up to 8 rows; each group of W rows
// stays in L1 while all groups pass over it, so W is read from memory once).
// W may be F32, F16 or BF16. y must not alias x.
void MatMulGemv(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool);

// Prefill path, valid for any n. Calls cblas_sgemm from every pool thread and therefore sets
// OpenBLAS to one thread (openblas_set_num_threads(1)) when it is not already: OpenBLAS 0.3.21
// has no per-call thread count, and its own threads would compete with the pool's.
// W may be F32, F16 or BF16. y must not alias x.
void MatMulGemm(const float* x, int64_t n, const TensorView& w, float* y, ThreadPool& pool);

// Scalar reference with double accumulation; what every fast path is tested against. Any dtype
// (RowToF32 decodes the row, then a double-accumulated dot).
void MatMulReference(const float* x, int64_t n, const TensorView& w, float* y);

// Converts row r of a matrix of any dtype to floats (block types through DequantizeRow).
void RowToF32(const TensorView& w, int64_t r, float* out);

// Converts rows [r0, r0 + rows) of a matrix of any dtype to floats (16-bit: SIMD; block types:
// DequantizeRow); out is [rows, w.cols()] row-major. Exact for F16 and BF16.
void RowsToF32(const TensorView& w, int64_t r0, int64_t rows, float* out);
// The whole matrix as floats, [rows, cols] row-major.
std::vector<float> ToF32(const TensorView& w);

}  // namespace lieq
