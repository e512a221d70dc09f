// Round-to-nearest: every group of g weights of a row gets min–max parameters (optionally with
// the clip ratio that minimises the group's error) and each weight its nearest grid point.
#pragma once

#include <cstdint>
#include <span>

#include "io/quantized_model.h"

namespace lieq {

struct ClipOptions {
  bool search = false;      // off: plain min–max
  int steps = 20;           // ratios 1, 1 − max_shrink/steps, ..., 1 − max_shrink
  double max_shrink = 0.5;  // as AWQ's auto_clip
};

// w [rows, cols]. With clip search each (row, group) takes the ratio minimising δᵀ·H_gg·δ
// (δ the group's rounding error, H_gg its diagonal block of h [cols, cols]: the error of the
// layer's output, AWQ's clipping criterion) when h is given, or Σδ² (data-free) when h is empty.
PackedLinear RtnQuantize(std::span<const float> w, int64_t rows, int64_t cols, int bits,
                         int group_size, const ClipOptions& clip, std::span<const double> h = {});

}  // namespace lieq
