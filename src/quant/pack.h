// Turns per-element codes and per-group parameters into a PackedLinear, and back into floats.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/quantized_model.h"
#include "quant/quant_grid.h"

namespace lieq {

// codes [rows, cols] (one byte each), params [rows, cols / group_size].
PackedLinear PackLinear(int bits, int group_size, int64_t rows, int64_t cols,
                        std::span<const uint8_t> codes, std::span<const GroupParams> params);

// W' [rows, cols] = s·(q − z), what the engine computes with.
std::vector<float> DequantizeLinear(const PackedLinear& p);

}  // namespace lieq
