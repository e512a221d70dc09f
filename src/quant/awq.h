// AWQ (Lin et al. 2023): per-input-channel scales s that move quantization error away from the
// channels with large activations. Layers sharing one input x compute x·Wᵀ = (x/s)·(W·diag(s))ᵀ;
// quantizing W·diag(s) instead of W protects the salient channels. The 1/s is folded into the
// operation that produces x (an RMSNorm weight, or the rows of the preceding linear layer).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace lieq {

struct AwqOptions {
  int grid = 20;  // α ∈ {0, 1/grid, ..., (grid − 1)/grid}
};

// One layer reading the shared input: w [rows, in].
struct AwqLayer {
  std::span<const float> w;
  int64_t rows = 0;
};

struct AwqScales {
  std::vector<float> s;  // [in]
  double alpha = 0;
  double error =
      0;  // Σ over layers of the output error at the chosen α (relative to α = 0: error_rtn)
  double error_rtn = 0;  // the same with s = 1 (plain RTN)
};

// s [in] = mean|x|^α / sqrt(max·min) with the α minimising Σ_layers ‖X·Wᵀ − (X/s)·Q(W·diag(s))ᵀ‖²,
// evaluated exactly from h [in, in] = 2·XᵀX/N as Σ_rows δ·H·δᵀ with δ = W − Q(W·diag(s))/s.
// Q is min–max RTN at `bits` with groups of `group_size`.
AwqScales SearchAwqScales(std::span<const AwqLayer> layers, int64_t in, std::span<const double> h,
                          std::span<const double> mean_abs_x, int bits, int group_size,
                          const AwqOptions& options);

}  // namespace lieq
