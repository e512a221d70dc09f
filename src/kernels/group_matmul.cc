// GroupMatMul: the group format. Decode (n <= kMatMulQ8MaxRows) uses the integer dot kernels
// (kernels/matmul_q8.h); otherwise rows go through MatMulDecoded (kernels/matmul_decoded.h), are
// decoded by the SIMD decoders of dequantize_simd.cc (2 and 4 bits, bit-identical) or by
// DecodeGroupRowTyped below, which unpacks eight codes at a time (eight b-bit codes are exactly
// b bytes, and every group size is a multiple of 8) with loops the compiler vectorises; then the
// SIMD GEMV kernel (decode) or sgemm on decoded panels (prefill) does the arithmetic.
#include "kernels/group_matmul.h"

#include <cassert>
#include <cstring>
#include <vector>

#include "core/half.h"
#include "kernels/dequantize.h"
#include "kernels/gemm_q8.h"
#include "kernels/matmul.h"
#include "kernels/matmul_decoded.h"
#include "kernels/matmul_q8.h"

namespace lieq {
namespace {

// Codes [0, cols) of one packed row to floats s · (q − z), per group.
template <int kBits>
void DecodeGroupRowTyped(const uint8_t* packed, const uint16_t* scales, const uint16_t* zeros,
                         int64_t cols, int group_size, float* out) {
  constexpr uint32_t kMask = (1u << kBits) - 1;
  const int64_t groups = cols / group_size;
  for (int64_t g = 0; g < groups; ++g) {
    const float s = F16ToF32(scales[g]);
    const float z = F16ToF32(zeros[g]);
    const uint8_t* p = packed + g * group_size * kBits / 8;
    float* o = out + g * group_size;
    if constexpr (kBits == 8) {
      for (int i = 0; i < group_size; ++i) o[i] = s * (static_cast<float>(p[i]) - z);
    } else if constexpr (kBits == 4) {
      for (int i = 0; i < group_size / 2; ++i) {
        o[2 * i] = s * (static_cast<float>(p[i] & 15) - z);
        o[2 * i + 1] = s * (static_cast<float>(p[i] >> 4) - z);
      }
    } else if constexpr (kBits == 2) {
      for (int i = 0; i < group_size / 4; ++i) {
        for (int j = 0; j < 4; ++j)
          o[4 * i + j] = s * (static_cast<float>((p[i] >> (2 * j)) & 3) - z);
      }
    } else {
      for (int i = 0; i < group_size / 8; ++i) {
        uint64_t v = 0;
        std::memcpy(&v, p + i * kBits, kBits);  // little-endian: code j in bits [jb, jb + b)
        for (int j = 0; j < 8; ++j) {
          o[8 * i + j] = s * (static_cast<float>((v >> (kBits * j)) & kMask) - z);
        }
      }
    }
  }
}

// Scalar decoders by bit width (DecodeGroupRowTyped); SIMD ones replace them where they exist.
GroupRowDecodeFn GroupRowDecoderFor(int bits, int group_size) {
  static constexpr GroupRowDecodeFn kScalar[9] = {nullptr,
                                                  nullptr,
                                                  &DecodeGroupRowTyped<2>,
                                                  &DecodeGroupRowTyped<3>,
                                                  &DecodeGroupRowTyped<4>,
                                                  nullptr,
                                                  nullptr,
                                                  nullptr,
                                                  &DecodeGroupRowTyped<8>};
  assert(bits >= 0 && bits <= 8 && kScalar[bits] != nullptr &&
         "GroupMatMul: bits must be 2, 3, 4 or 8");
  if (group_size % 32 == 0) {
    if (const GroupRowDecodeFn simd = SimdGroupRowDecoder(bits)) return simd;
  }
  return kScalar[bits];
}

void DecodeGroupRows(const GroupQuantView& w, GroupRowDecodeFn decode, int64_t r0, int64_t count,
                     float* out) {
  const int64_t row_bytes = PackedRowBytes(w.bits, w.cols), groups = w.groups_per_row();
  for (int64_t r = r0; r < r0 + count; ++r) {
    decode(w.codes + r * row_bytes, w.scales + r * groups, w.zeros + r * groups, w.cols,
           w.group_size, out + (r - r0) * w.cols);
  }
}

}  // namespace

void GroupMatMul(const float* x, int64_t n, const GroupQuantView& w, float* y, ThreadPool& pool,
                 const MatMulOptions& options) {
  assert(w.group_size % 8 == 0 && w.cols % w.group_size == 0);
  if (n <= kMatMulQ8MaxRows) {
    if (const RowDotter dotter = GroupRowDotter(w); dotter.dot)
      return MatMulQ8(x, n, dotter, y, pool);
  } else if (options.fast_prefill && GroupGemmQ8Supports(w)) {
    return GroupGemmQ8(x, n, w, y, pool);
  }
  MatMulDecoded(x, n, GroupRowDecoder(w), y, pool);
}

RowDecoder GroupRowDecoder(const GroupQuantView& w) {
  RowDecoder decoder;
  decoder.rows = w.rows;
  decoder.cols = w.cols;
  const GroupRowDecodeFn decode = GroupRowDecoderFor(w.bits, w.group_size);
  decoder.decode = [&w, decode](int64_t r0, int64_t count, float* out) {
    DecodeGroupRows(w, decode, r0, count, out);
  };
  return decoder;
}

void GroupMatMulReference(const float* x, int64_t n, const GroupQuantView& w, float* y) {
  std::vector<float> row(static_cast<size_t>(w.cols));
  for (int64_t r = 0; r < w.rows; ++r) {
    DequantizeGroupRow(w, r, row.data());
    for (int64_t t = 0; t < n; ++t) {
      double acc = 0;
      for (int64_t c = 0; c < w.cols; ++c) acc += static_cast<double>(x[t * w.cols + c]) * row[c];
      y[t * w.rows + r] = static_cast<float>(acc);
    }
  }
}

}  // namespace lieq
