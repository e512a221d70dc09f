// Internal interface between gemm_q8.cc (activations, threads) and gemm_q8_simd.cc (the per-target
// tile unpack and multiply kernels). Not for other callers: use kernels/gemm_q8.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "kernels/group_quant.h"
#include "kernels/q8_activations.h"

namespace lieq {

// The packed matrix a GEMM reads: a GGUF K-format tensor (group == false) or the group format.
struct GemmQ8Source {
  bool group = false;
  DType type = DType::kF32;  // block types
  const std::byte* data = nullptr;
  int64_t row_bytes = 0;
  GroupQuantView view;  // group format
  int64_t rows = 0;
  int64_t cols = 0;
};

// y[t · ldy + r] for t < n and r in [r0, r1) (r0 a multiple of kGemmTileRows) from the
// activations (layout {256, natural}); `scratch` is the calling thread's, grown as needed.
using GemmQ8TilesFn = void (*)(const GemmQ8Source& w, const Q8Activations& a, int64_t n, int64_t r0,
                               int64_t r1, float* y, int64_t ldy, std::vector<std::byte>& scratch);

// The kernel for the dispatched target, nullptr where there is none (non-x86, scalar).
GemmQ8TilesFn GemmQ8TilesSimd();
const char* GemmQ8KindSimd();

}  // namespace lieq
