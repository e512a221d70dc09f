// The SIMD row decoders of dequantize_simd.cc against the scalar references (DequantizeRow,
// DequantizeGroupRow) on random bytes, including extreme fp16 scales: bit-identical on every
// SIMD target this machine supports and the build generated. Targets without FMA (SSE4, ARMv7
// NEON) emulate MulSub with two roundings, so they are allowed kNoFmaUlps for the K formats.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/half.h"
#include "core/rng.h"
#include "hwy/targets.h"
#include "kernels/block_formats.h"
#include "kernels/dequantize.h"
#include "kernels/group_quant.h"
#include "simd_target_test.h"

namespace lieq {
namespace {

constexpr int kNoFmaUlps = 1;  // d·q − m rounded twice instead of once

bool TargetHasFma(int64_t target) {
#if HWY_ARCH_ARM_A64
  if (target == HWY_NEON) return true;
#endif
  return (target & (HWY_AVX2 | HWY_AVX3 | HWY_AVX3_DL)) != 0;
}

// Finite fp16 bits of any sign and magnitude (normal, subnormal, zero, the largest), mostly
// random and sometimes one of the extremes.
uint16_t RandomHalf(Rng& rng) {
  static constexpr uint16_t kExtremes[] = {0x7BFF, 0xFBFF, 0x0001, 0x8001, 0x0000,
                                           0x8000, 0x0400, 0x3C00, 0x5BFF};
  const uint64_t r = rng.NextU64();
  if (r % 4 == 0) return kExtremes[(r >> 8) % (sizeof(kExtremes) / sizeof(kExtremes[0]))];
  uint16_t h = static_cast<uint16_t>(r >> 16);
  if ((h & 0x7C00) == 0x7C00) h &= 0xBFFF;  // no Inf / NaN
  return h;
}

// Elementwise: exact, or within `ulps` units in the last place.
void ExpectClose(const std::vector<float>& want, const std::vector<float>& got, int ulps,
                 const std::string& what) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    int32_t a, b;
    std::memcpy(&a, &want[i], 4);
    std::memcpy(&b, &got[i], 4);
    if (ulps == 0 || (a ^ b) < 0) {
      ASSERT_EQ(a, b) << what << " element " << i << ": " << want[i] << " vs " << got[i];
    } else {
      ASSERT_LE(std::abs(static_cast<int64_t>(a) - b), ulps) << what << " element " << i;
    }
  }
}

// Random bytes for whole blocks, with the fp16 fields (at the given offsets) set by RandomHalf.
std::vector<std::byte> RandomBlocks(int64_t blocks, size_t block_bytes,
                                    std::initializer_list<size_t> half_offsets, Rng& rng) {
  std::vector<std::byte> bytes(static_cast<size_t>(blocks) * block_bytes);
  for (auto& b : bytes) b = static_cast<std::byte>(rng.NextU64() & 0xFF);
  for (int64_t i = 0; i < blocks; ++i) {
    for (size_t off : half_offsets) {
      const uint16_t h = RandomHalf(rng);
      std::memcpy(bytes.data() + i * block_bytes + off, &h, 2);
    }
  }
  return bytes;
}

class SimdDecodeTest : public SimdTargetTest {};

TEST_P(SimdDecodeTest, KQuantRowsMatchDequantizeRow) {
  struct Case {
    DType type;
    size_t block_bytes;
    std::initializer_list<size_t> halves;
  };
  const Case cases[] = {
      {DType::kQ4_K, sizeof(BlockQ4_K), {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)}},
      {DType::kQ2_K, sizeof(BlockQ2_K), {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)}},
      {DType::kQ3_K, sizeof(BlockQ3_K), {offsetof(BlockQ3_K, d)}},
      {DType::kQ6_K, sizeof(BlockQ6_K), {offsetof(BlockQ6_K, d)}},
  };
  Rng rng(11);
  const int ulps = TargetHasFma(GetParam()) ? 0 : kNoFmaUlps;
  for (const Case& c : cases) {
    const RowDecodeFn simd = SimdRowDecoder(c.type);
    ASSERT_NE(simd, nullptr) << Name(c.type);
    for (int64_t blocks : {1, 3, 40}) {
      // Offset by one byte: rows of blocks need not be aligned.
      auto bytes = RandomBlocks(blocks, c.block_bytes, c.halves, rng);
      bytes.insert(bytes.begin(), std::byte{0});
      const int64_t n = blocks * kQK_K;
      std::vector<float> want(static_cast<size_t>(n)), got(want.size()), fast(want.size());
      DequantizeRow(c.type, bytes.data() + 1, want.data(), n);
      simd(bytes.data() + 1, got.data(), n);
      DequantizeRowFast(c.type, bytes.data() + 1, fast.data(), n);
      const std::string what = std::string(Name(c.type)) + " blocks " + std::to_string(blocks);
      ExpectClose(want, got, ulps, what);
      ExpectClose(want, fast, ulps, what + " (DequantizeRowFast)");
    }
  }
}

TEST_P(SimdDecodeTest, GroupRowsMatchDequantizeGroupRow) {
  Rng rng(12);
  for (int bits : {2, 4}) {
    const GroupRowDecodeFn simd = SimdGroupRowDecoder(bits);
    ASSERT_NE(simd, nullptr) << bits;
    for (int group_size : {32, 64, 128}) {
      for (bool integer_zeros : {true, false}) {
        const int64_t cols = 8 * group_size, groups = cols / group_size;
        std::vector<uint8_t> codes(static_cast<size_t>(PackedRowBytes(bits, cols)));
        for (auto& b : codes) b = static_cast<uint8_t>(rng.NextU64() & 0xFF);
        std::vector<uint16_t> scales(static_cast<size_t>(groups)), zeros(scales.size());
        for (auto& s : scales) s = RandomHalf(rng);
        for (auto& z : zeros) {
          z = integer_zeros ? F32ToF16(static_cast<float>(rng.NextU64() % (1u << bits)))
                            : RandomHalf(rng);
        }
        GroupQuantView w;
        w.bits = bits;
        w.group_size = group_size;
        w.rows = 1;
        w.cols = cols;
        w.codes = codes.data();
        w.scales = scales.data();
        w.zeros = zeros.data();
        std::vector<float> want(static_cast<size_t>(cols)), got(want.size());
        DequantizeGroupRow(w, 0, want.data());
        simd(codes.data(), scales.data(), zeros.data(), cols, group_size, got.data());
        // s · (q − z) is one subtraction and one product in both: exact on every target.
        ExpectClose(want, got, 0,
                    "bits " + std::to_string(bits) + " group " + std::to_string(group_size));
      }
    }
  }
}

LIEQ_INSTANTIATE_FOR_EVERY_SIMD_TARGET(SimdDecodeTest);

}  // namespace
}  // namespace lieq
