#include "quant/rtn.h"

#include <limits>
#include <vector>

#include "quant/pack.h"
#include "quant/quant_grid.h"

namespace lieq {
namespace {

// δᵀ·H·δ for δ [g], H [g, g].
double QuadraticForm(const float* delta, const float* h, int64_t g) {
  double total = 0;
  for (int64_t k = 0; k < g; ++k) {
    float row = 0;
    for (int64_t l = 0; l < g; ++l) row += h[k * g + l] * delta[l];
    total += static_cast<double>(delta[k]) * row;
  }
  return total;
}

}  // namespace

PackedLinear RtnQuantize(std::span<const float> w, int64_t rows, int64_t cols, int bits,
                         int group_size, const ClipOptions& clip, std::span<const double> h) {
  const int64_t groups = cols / group_size, g = group_size;
  std::vector<float> ratios = {1.0f};
  if (clip.search) {
    for (int k = 1; k <= clip.steps; ++k) {
      ratios.push_back(static_cast<float>(1.0 - clip.max_shrink * k / clip.steps));
    }
  }
  std::vector<IntGrid> grids;
  for (float ratio : ratios) grids.emplace_back(bits, ratio);

  // hg [groups, g, g]: the diagonal blocks of h, in float.
  const bool weighted = clip.search && !h.empty();
  std::vector<float> hg(weighted ? static_cast<size_t>(groups * g * g) : 0);
  for (int64_t gi = 0; weighted && gi < groups; ++gi) {
    for (int64_t k = 0; k < g; ++k) {
      for (int64_t l = 0; l < g; ++l) {
        hg[(gi * g + k) * g + l] = static_cast<float>(h[(gi * g + k) * cols + gi * g + l]);
      }
    }
  }

  std::vector<uint8_t> codes(static_cast<size_t>(rows * cols));
  std::vector<GroupParams> params(static_cast<size_t>(rows * groups));
  std::vector<float> delta(static_cast<size_t>(g));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t gi = 0; gi < groups; ++gi) {
      const std::span<const float> values = w.subspan(r * cols + gi * g, g);
      double best_error = std::numeric_limits<double>::infinity();
      size_t best = 0;
      GroupParams best_params;
      for (size_t i = 0; i < grids.size(); ++i) {
        const GroupParams p = grids[i].Fit(values);
        if (grids.size() == 1) {
          best_params = p;
          break;
        }
        for (int64_t k = 0; k < g; ++k)
          delta[k] = values[k] - grids[i].QuantizeDequantize(values[k], p);
        double error = 0;
        if (weighted) {
          error = QuadraticForm(delta.data(), hg.data() + gi * g * g, g);
        } else {
          for (float d : delta) error += static_cast<double>(d) * d;
        }
        if (error < best_error) {
          best_error = error;
          best = i;
          best_params = p;
        }
      }
      params[r * groups + gi] = best_params;
      for (int64_t k = 0; k < g; ++k) {
        codes[r * cols + gi * g + k] =
            static_cast<uint8_t>(grids[best].Code(values[k], best_params));
      }
    }
  }
  return PackLinear(bits, group_size, rows, cols, codes, params);
}

}  // namespace lieq
