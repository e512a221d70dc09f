// The project's own low-bit weight format: group-wise asymmetric integer quantization.
// A weight matrix W [rows, cols] at width b ∈ {2, 3, 4, 8} with groups of g consecutive
// input columns stores
//   codes  [rows, cols]      b-bit unsigned integers q, packed LSB-first as one bitstream per
//                            row (PackedRowBytes(b, cols) bytes a row)
//   scales [rows, cols / g]  FP16 s
//   zeros  [rows, cols / g]  FP16 z (integer-valued, 0 <= z <= 2^b - 1)
// and W[r, c] ≈ s[r, c/g] · (q[r, c] − z[r, c/g]). This is the GPTQ/AWQ convention.
#pragma once

#include <cstdint>

namespace lieq {

inline int64_t PackedRowBytes(int bits, int64_t cols) { return (cols * bits + 7) / 8; }
inline int MaxCode(int bits) { return (1 << bits) - 1; }

// codes[i] < 2^bits for i < n. `packed` receives PackedRowBytes(bits, n) bytes.
void PackCodes(const uint8_t* codes, int64_t n, int bits, uint8_t* packed);
void UnpackCodes(const uint8_t* packed, int64_t n, int bits, uint8_t* codes);

// A non-owning view of one quantized matrix.
struct GroupQuantView {
  int bits = 0;
  int group_size = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* codes = nullptr;    // [rows, PackedRowBytes(bits, cols)]
  const uint16_t* scales = nullptr;  // [rows, cols / group_size] FP16 bits
  const uint16_t* zeros = nullptr;   // [rows, cols / group_size] FP16 bits

  int64_t groups_per_row() const { return cols / group_size; }
};

// Reference dequantization of row r into out [cols].
void DequantizeGroupRow(const GroupQuantView& w, int64_t r, float* out);

}  // namespace lieq
