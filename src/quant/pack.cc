#include "quant/pack.h"

#include <cassert>

#include "core/half.h"

namespace lieq {

PackedLinear PackLinear(int bits, int group_size, int64_t rows, int64_t cols,
                        std::span<const uint8_t> codes, std::span<const GroupParams> params) {
  assert(static_cast<int64_t>(codes.size()) == rows * cols);
  assert(static_cast<int64_t>(params.size()) == rows * (cols / group_size));
  PackedLinear p;
  p.bits = bits;
  p.group_size = group_size;
  p.rows = rows;
  p.cols = cols;
  const int64_t row_bytes = PackedRowBytes(bits, cols);
  p.codes.resize(static_cast<size_t>(rows * row_bytes));
  for (int64_t r = 0; r < rows; ++r) {
    PackCodes(codes.data() + r * cols, cols, bits, p.codes.data() + r * row_bytes);
  }
  p.scales.resize(params.size());
  p.zeros.resize(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    p.scales[i] = F32ToF16(params[i].scale);
    p.zeros[i] = F32ToF16(params[i].zero);
  }
  return p;
}

std::vector<float> DequantizeLinear(const PackedLinear& p) {
  std::vector<float> w(static_cast<size_t>(p.rows * p.cols));
  const GroupQuantView view = p.view();
  for (int64_t r = 0; r < p.rows; ++r) DequantizeGroupRow(view, r, w.data() + r * p.cols);
  return w;
}

}  // namespace lieq
