// Element-wise and row-wise operations of the transformer, each one loop nest of the math.
// All in float32; rows are contiguous.
#pragma once

#include <cstdint>
#include <span>

namespace lieq {

// out[i] = x[i] / sqrt(mean(x²) + eps) * weight[i], for each of `rows` rows of length d.
// out may alias x.
void RmsNorm(const float* x, const float* weight, int64_t rows, int64_t d, double eps, float* out);

// out[i] = silu(gate[i]) * up[i]; out may alias gate. SIMD (kernels/ops_simd.cc).
void SiluMul(const float* gate, const float* up, int64_t n, float* out);

// In-place softmax of x[0..n). SIMD (kernels/ops_simd.cc), float sums.
void SoftmaxInPlace(float* x, int64_t n);

// The scalar references of the two (libm expf; softmax summed in double).
void SiluMulReference(const float* gate, const float* up, int64_t n, float* out);
void SoftmaxInPlaceReference(float* x, int64_t n);


// log(sum(exp(x))) of a row, computed stably in double.
double LogSumExp(const float* x, int64_t n);

// out[i] += b[i]
void AddInPlace(float* out, const float* b, int64_t n);

// Rotary embedding in Hugging Face's rotate-half layout: for each head of `head_dim` values,
// pairs (i, i + head_dim/2) rotate by angle position * inv_freq[i].
// x: [num_heads, head_dim] of one token; inv_freq: [head_dim/2].
void ApplyRope(float* x, int64_t num_heads, int64_t head_dim, int64_t position,
               std::span<const double> inv_freq);

}  // namespace lieq
