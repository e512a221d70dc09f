// DequantizeRow on hand-built blocks: each expected value is worked out by hand from the
// GGUF block layouts (comments show the arithmetic), so the decoder is checked against the
// specification rather than against the encoder.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernels/block_formats.h"
#include "kernels/dequantize.h"

namespace lieq {
namespace {

// fp16 bit patterns of a few exact values.
constexpr uint16_t kHalf0_25 = 0x3400;
constexpr uint16_t kHalf0_5 = 0x3800;
constexpr uint16_t kHalf1 = 0x3C00;
constexpr uint16_t kHalf2 = 0x4000;
constexpr uint16_t kHalfMinus1 = 0xBC00;

template <typename Block>
std::vector<float> Decode(DType type, const Block& b, int n) {
  std::vector<std::byte> bytes(sizeof(Block));
  std::memcpy(bytes.data(), &b, sizeof(Block));
  std::vector<float> y(static_cast<size_t>(n));
  DequantizeRow(type, bytes.data(), y.data(), n);
  return y;
}

TEST(BlockFormats, SizesMatchTheDTypeTable) {
  for (const BlockSizeCheck& c : kBlockSizeChecks) {
    EXPECT_EQ(Info(c.type).block_bytes, c.struct_bytes) << Name(c.type);
    EXPECT_EQ(Info(c.type).block_size, c.struct_elements) << Name(c.type);
  }
}

TEST(BlockDequantize, Q8_0) {
  BlockQ8_0 b{};
  b.d = kHalf0_5;
  for (int k = 0; k < 32; ++k) b.qs[k] = static_cast<int8_t>(k - 16);
  b.qs[31] = -128;
  const std::vector<float> y = Decode(DType::kQ8_0, b, 32);
  EXPECT_EQ(y[0], -8.0f);    // 0.5 * (0 - 16)
  EXPECT_EQ(y[16], 0.0f);    // 0.5 * 0
  EXPECT_EQ(y[21], 2.5f);    // 0.5 * 5
  EXPECT_EQ(y[31], -64.0f);  // 0.5 * -128
}

TEST(BlockDequantize, Q4_0) {
  BlockQ4_0 b{};
  b.d = kHalf2;
  // qs[j]: low nibble j (element j), high nibble 15 - j (element j + 16).
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  const std::vector<float> y = Decode(DType::kQ4_0, b, 32);
  EXPECT_EQ(y[0], -16.0f);   // 2 * (0 - 8)
  EXPECT_EQ(y[9], 2.0f);     // 2 * (9 - 8)
  EXPECT_EQ(y[16], 14.0f);   // high nibble of qs[0] = 15: 2 * (15 - 8)
  EXPECT_EQ(y[31], -16.0f);  // high nibble of qs[15] = 0: 2 * (0 - 8)
}

TEST(BlockDequantize, Q4_1) {
  BlockQ4_1 b{};
  b.d = kHalf0_25;
  b.m = kHalfMinus1;
  b.qs[3] = 0xA5;  // element 3: 5, element 19: 10
  const std::vector<float> y = Decode(DType::kQ4_1, b, 32);
  EXPECT_EQ(y[0], -1.0f);  // 0.25 * 0 - 1
  EXPECT_EQ(y[3], 0.25f);  // 0.25 * 5 - 1
  EXPECT_EQ(y[19], 1.5f);  // 0.25 * 10 - 1
}

TEST(BlockDequantize, Q2_K) {
  BlockQ2_K b{};
  b.d = kHalf1;
  b.dmin = kHalf0_5;
  for (uint8_t& s : b.scales) s = 0x21;  // scale 1, min 2: x = q - 0.5 * 2 = q - 1
  b.scales[12] = 0x23;                   // sub-block 12 (elements 192..207): scale 3
  // Element 200: second half (128..255), bit pair j = (200 - 128) / 32 = 2, byte 32 + 200 % 32.
  b.qs[40] = 3 << 4;
  // Element 45: first half, j = 1, byte 13; sub-block 2.
  b.qs[13] = 2 << 2;
  const std::vector<float> y = Decode(DType::kQ2_K, b, 256);
  EXPECT_EQ(y[0], -1.0f);
  EXPECT_EQ(y[45], 1.0f);    // 1 * 1 * 2 - 0.5 * 2
  EXPECT_EQ(y[200], 8.0f);   // 1 * 3 * 3 - 0.5 * 2
  EXPECT_EQ(y[199], -1.0f);  // same sub-block, q = 0
  EXPECT_EQ(y[72], -1.0f);   // byte 8 of the first half, untouched
}

TEST(BlockDequantize, Q3_K) {
  BlockQ3_K b{};
  b.d = kHalf0_5;
  // Every sub-block scale stored as 33 (= 1 + 32: 0b10'0001) except sub-block 13, 29
  // (= -3 + 32: 0b01'1101). Low nibbles: scales[s] (s < 8), high nibble of scales[s - 8]
  // (s >= 8); top bit pairs: scales[8 + s % 4] bits 2 (s / 4).
  for (int i = 0; i < 8; ++i) b.scales[i] = 0x11;
  b.scales[5] = 0xD1;                                // high nibble = sub-block 13's low nibble 0xD
  b.scales[8] = b.scales[10] = b.scales[11] = 0xAA;  // top bits 0b10 for all four groups
  b.scales[9] = 0x6A;  // sub-block 13: s % 4 = 1, s / 4 = 3 -> bits 6-7 = 0b01
  std::memset(b.hmask, 0xFF, sizeof(b.hmask));  // high bit set: q = low bits, no -4
  // Element 210 (sub-block 13): half 1, pair 2, byte 32 + 18 = 50; high bit: hmask[18] bit 6.
  b.qs[50] = 1 << 4;
  b.hmask[18] &= static_cast<uint8_t>(~(1 << 6));  // cleared: q = 1 - 4 = -3
  // Elements 5 (pair 0) and 37 (pair 1) share byte 5.
  b.qs[5] = 2 | 3 << 2;
  const std::vector<float> y = Decode(DType::kQ3_K, b, 256);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[5], 1.0f);    // 0.5 * 1 * 2
  EXPECT_EQ(y[37], 1.5f);   // 0.5 * 1 * 3
  EXPECT_EQ(y[210], 4.5f);  // 0.5 * -3 * -3
  EXPECT_EQ(y[211], 0.0f);
}

// Scales shared by the Q4_K and Q5_K cases: sub-block 5 has scale 33 and min 40, the others
// scale 1 and min 0. Packed by hand: for s < 4, scales[s] = sc[s] | (sc[s+4] >> 4) << 6,
// scales[s+4] = mn[s] | (mn[s+4] >> 4) << 6, scales[s+8] = (sc[s+4] & 15) | (mn[s+4] & 15) << 4.
void FillK4Scales(uint8_t* scales) {
  const uint8_t packed[12] = {0x01, 0x81, 0x01, 0x01, 0x00, 0x80,
                              0x00, 0x00, 0x01, 0x81, 0x01, 0x01};
  std::memcpy(scales, packed, 12);
}

TEST(BlockDequantize, Q4_K) {
  BlockQ4_K b{};
  b.d = kHalf1;
  b.dmin = kHalf0_25;
  FillK4Scales(b.scales);
  b.qs[74] = 0x70;  // element 170 (group 2, upper half, b = 10): q = 7
  b.qs[42] = 0x0F;  // element 74 (group 1, lower half, b = 10): q = 15
  const std::vector<float> y = Decode(DType::kQ4_K, b, 256);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[170], 221.0f);  // 1 * 33 * 7 - 0.25 * 40
  EXPECT_EQ(y[171], -10.0f);  // same sub-block, q = 0
  EXPECT_EQ(y[74], 15.0f);    // sub-block 2: 1 * 1 * 15 - 0
  EXPECT_EQ(y[138], 0.0f);    // group 2 lower half reads the low nibble of qs[74]: 0
}

TEST(BlockDequantize, Q5_K) {
  BlockQ5_K b{};
  b.d = kHalf1;
  b.dmin = kHalf0_25;
  FillK4Scales(b.scales);
  b.qs[74] = 0x70;
  b.qs[42] = 0x0F;
  b.qh[10] = 1 << 5;  // fifth bit of element 170: bit 2 * 2 + 1 of qh[10]
  const std::vector<float> y = Decode(DType::kQ5_K, b, 256);
  EXPECT_EQ(y[170], 749.0f);  // 1 * 33 * (7 + 16) - 0.25 * 40
  EXPECT_EQ(y[74], 15.0f);    // bit 2 * 1 + 0 of qh[10] is clear
  EXPECT_EQ(y[0], 0.0f);
}

TEST(BlockDequantize, Q6_K) {
  BlockQ6_K b{};
  b.d = kHalf0_5;
  for (int8_t& s : b.scales) s = 1;
  b.scales[11] = -2;
  std::memset(b.qh, 0xAA, sizeof(b.qh));  // high bits 0b10 everywhere: q = 32 - 32 = 0
  // Element 180: half 1, quarter 1, i = 20 -> low nibble of ql[64 + 32 + 20], bits 2-3 of
  // qh[32 + 20]; stored 5 | 3 << 4 = 53, q = 21; sub-block 11.
  b.ql[116] = 0x05;
  b.qh[52] = 0xAE;
  // Element 84: half 0, quarter 2, i = 20 -> high nibble of ql[20], bits 4-5 of qh[20];
  // stored 15 | 0 << 4, q = -17; sub-block 5.
  b.ql[20] = 0xF0;
  b.qh[20] = 0x8A;
  const std::vector<float> y = Decode(DType::kQ6_K, b, 256);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[180], -21.0f);  // 0.5 * -2 * 21
  EXPECT_EQ(y[84], -8.5f);    // 0.5 * 1 * -17
  EXPECT_EQ(y[20], 0.0f);     // low nibble of ql[20] is 0, bits 0-1 of qh[20] still 0b10
}

TEST(BlockDequantize, RowOfSeveralBlocksAndFloatTypes) {
  BlockQ8_0 blocks[2]{};
  blocks[0].d = kHalf1;
  blocks[1].d = kHalf2;
  blocks[0].qs[3] = 7;
  blocks[1].qs[3] = 7;
  std::vector<std::byte> bytes(sizeof(blocks));
  std::memcpy(bytes.data(), blocks, sizeof(blocks));
  std::vector<float> y(64);
  DequantizeRow(DType::kQ8_0, bytes.data(), y.data(), 64);
  EXPECT_EQ(y[3], 7.0f);
  EXPECT_EQ(y[35], 14.0f);

  const uint16_t halves[2] = {kHalfMinus1, kHalf0_5};
  float f[2];
  DequantizeRow(DType::kF16, reinterpret_cast<const std::byte*>(halves), f, 2);
  EXPECT_EQ(f[0], -1.0f);
  EXPECT_EQ(f[1], 0.5f);
  const uint16_t bf[1] = {0x3FC0};  // bfloat16 1.5
  DequantizeRow(DType::kBF16, reinterpret_cast<const std::byte*>(bf), f, 1);
  EXPECT_EQ(f[0], 1.5f);
}

}  // namespace
}  // namespace lieq
