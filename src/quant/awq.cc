#include "quant/awq.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/pack.h"
#include "quant/rtn.h"

namespace lieq {
namespace {

// Σ_rows δ·H·δᵀ for δ [rows, in], h [in, in].
double OutputError(const std::vector<float>& delta, int64_t rows, int64_t in,
                   const std::vector<float>& h, std::vector<float>& scratch) {
  scratch.resize(delta.size());
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows),
              static_cast<int>(in), static_cast<int>(in), 1.0f, delta.data(), static_cast<int>(in),
              h.data(), static_cast<int>(in), 0.0f, scratch.data(), static_cast<int>(in));
  double total = 0;
  for (size_t i = 0; i < delta.size(); ++i) total += static_cast<double>(delta[i]) * scratch[i];
  return total;
}

// s = m^α normalised by sqrt(max·min), as llm-awq.
std::vector<float> ScalesFor(std::span<const double> mean_abs_x, double alpha) {
  std::vector<float> s(mean_abs_x.size());
  for (size_t c = 0; c < s.size(); ++c) {
    s[c] = static_cast<float>(std::pow(std::max(mean_abs_x[c], 1e-4), alpha));
  }
  const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
  const float norm = std::sqrt(*lo * *hi);
  for (float& v : s) v /= norm;
  return s;
}

}  // namespace

AwqScales SearchAwqScales(std::span<const AwqLayer> layers, int64_t in, std::span<const double> h,
                          std::span<const double> mean_abs_x, int bits, int group_size,
                          const AwqOptions& options) {
  const std::vector<float> hf(h.begin(), h.end());
  std::vector<float> scaled, delta, scratch;
  AwqScales best;
  best.error = std::numeric_limits<double>::infinity();
  for (int k = 0; k < options.grid; ++k) {
    const double alpha = static_cast<double>(k) / options.grid;
    std::vector<float> s = alpha == 0 ? std::vector<float>(static_cast<size_t>(in), 1.0f)
                                      : ScalesFor(mean_abs_x, alpha);
    double error = 0;
    for (const AwqLayer& layer : layers) {
      scaled.assign(layer.w.begin(), layer.w.end());
      for (int64_t r = 0; r < layer.rows; ++r) {
        for (int64_t c = 0; c < in; ++c) scaled[r * in + c] *= s[c];
      }
      const std::vector<float> q =
          DequantizeLinear(RtnQuantize(scaled, layer.rows, in, bits, group_size, ClipOptions{}));
      delta.resize(scaled.size());
      for (int64_t r = 0; r < layer.rows; ++r) {
        for (int64_t c = 0; c < in; ++c) {
          delta[r * in + c] = layer.w[r * in + c] - q[r * in + c] / s[c];
        }
      }
      error += OutputError(delta, layer.rows, in, hf, scratch);
    }
    if (k == 0) best.error_rtn = error;
    if (error < best.error) {
      best.error = error;
      best.alpha = alpha;
      best.s = std::move(s);
    }
  }
  return best;
}

}  // namespace lieq
