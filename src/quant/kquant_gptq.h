// GPTQ (quant/gptq.h) with llama.cpp's block grids (quant/kquant_grid.h) in place of the
// project's group grid: the column loop fits each block's parameters on the error-updated
// weights when it reaches the block's first column, rounds every weight to that block's fixed
// levels, feeds the error back, and emits the ggml bytes. Without a Hessian the same loop is
// round-to-nearest in the grid (RTN), so both back-ends write exactly what they computed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "quant/gptq.h"
#include "quant/kquant_grid.h"

namespace lieq {

// A linear weight [rows, cols] in one ggml block type.
struct GridQuantizedLinear {
  DType type = DType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<std::byte> data;  // rows × RowBytes(type, cols): the GGUF tensor's bytes
  std::vector<float> values;    // [rows, cols]: what `data` decodes to (what GPTQ fed back)
};

// w [rows, cols]; cols must be a multiple of grid.block_size(). h [cols, cols] = 2·XᵀX/N runs
// GPTQ (its diagonal also weights each block's clip search, as llama.cpp's imatrix does);
// h empty runs RTN. act_order is not supported (kUnimplemented). `pool` parallelises the
// per-row work (fits, RTN).
Result<GridQuantizedLinear> QuantizeInGrid(std::span<const float> w, int64_t rows, int64_t cols,
                                           std::span<const double> h, const KQuantGrid& grid,
                                           const GptqOptions& options, ThreadPool& pool);

}  // namespace lieq
