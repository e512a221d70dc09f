#include "quant/kquant_grid.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "core/half.h"
#include "kernels/block_formats.h"
#include "kernels/dequantize.h"
#include "kernels/quantize_reference.h"

namespace lieq {
namespace {

// Clip ratios tried per sub-block. Symmetric formats shrink the extremum; asymmetric ones
// shrink each end of the range towards 0 (K types, whose range always holds 0) or towards the
// midpoint (Q4_1), every pair of ratios being tried.
constexpr float kSymmetricRatios[] = {1.0f, 0.95f, 0.9f, 0.85f, 0.8f, 0.75f, 0.7f};
constexpr float kAsymmetricRatios[] = {1.0f, 0.9f, 0.8f, 0.7f};
// The opposite end of a clipped symmetric range is pulled in by this factor, so that the
// reference encoder's signed extremum keeps the sign the search chose.
constexpr float kOppositeEndShrink = 1.0f - 1.0f / (1 << 20);

// How the reference encoder (kernels/quantize_reference.cc) derives a sub-block's grid.
struct GridShape {
  bool symmetric;   // step = extremum / -neg, codes −neg .. pos (Q8_0: |extremum| / pos)
  int neg;          // symmetric: the level the extremum maps to (negated)
  int pos;          // symmetric: the largest positive level; asymmetric: the largest code
  bool holds_zero;  // asymmetric: the range is widened to contain 0 (K types)
};

GridShape ShapeOf(DType type) {
  switch (type) {
    case DType::kQ8_0:
      return {true, 127, 127, false};
    case DType::kQ4_0:
      return {true, 8, 7, false};
    case DType::kQ3_K:
      return {true, 4, 3, false};
    case DType::kQ6_K:
      return {true, 32, 31, false};
    case DType::kQ4_1:
      return {false, 0, 15, false};
    case DType::kQ2_K:
      return {false, 0, 3, true};
    case DType::kQ4_K:
      return {false, 0, 15, true};
    case DType::kQ5_K:
      return {false, 0, 31, true};
    default:
      return {true, 1, 1, false};
  }
}

float Weight(std::span<const float> importance, int i) {
  return importance.empty() ? 1.0f : importance[static_cast<size_t>(i)];
}

// Clips x[n] (importance w) in place to the symmetric range that minimises its error.
void ClipSymmetric(float* x, int n, std::span<const float> w, const GridShape& g) {
  float m = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > std::fabs(m)) m = x[i];
  }
  if (m == 0) return;
  float best_ratio = 1, best_err = std::numeric_limits<float>::infinity();
  for (float r : kSymmetricRatios) {
    const float step = g.neg == g.pos ? std::fabs(m) * r / static_cast<float>(g.pos)
                                      : m * r / static_cast<float>(-g.neg);
    float err = 0;
    for (int i = 0; i < n; ++i) {
      const float q = std::clamp(std::nearbyint(x[i] / step), static_cast<float>(-g.neg),
                                 static_cast<float>(g.pos));
      const float e = x[i] - q * step;
      err += Weight(w, i) * e * e;
    }
    if (err < best_err) best_err = err, best_ratio = r;
  }
  if (best_ratio == 1) return;
  const float end = std::fabs(m) * best_ratio, opposite = end * kOppositeEndShrink;
  const float lo = m < 0 ? -end : -opposite, hi = m < 0 ? opposite : end;
  for (int i = 0; i < n; ++i) x[i] = std::clamp(x[i], lo, hi);
}

// Clips x[n] in place to the asymmetric range that minimises its error.
void ClipAsymmetric(float* x, int n, std::span<const float> w, const GridShape& g) {
  float lo = *std::min_element(x, x + n), hi = *std::max_element(x, x + n);
  if (g.holds_zero) lo = std::min(lo, 0.0f), hi = std::max(hi, lo);
  const float anchor = g.holds_zero ? 0.0f : 0.5f * (lo + hi);
  if (hi == lo) return;
  float best_lo = lo, best_hi = hi, best_err = std::numeric_limits<float>::infinity();
  for (float rl : kAsymmetricRatios) {
    for (float rh : kAsymmetricRatios) {
      const float a = anchor + (lo - anchor) * rl, b = anchor + (hi - anchor) * rh;
      const float step = (b - a) / static_cast<float>(g.pos);
      float err = 0;
      for (int i = 0; i < n; ++i) {
        const float q = step == 0 ? 0.0f
                                  : std::clamp(std::nearbyint((x[i] - a) / step), 0.0f,
                                               static_cast<float>(g.pos));
        const float e = x[i] - (a + q * step);
        err += Weight(w, i) * e * e;
      }
      if (err < best_err) best_err = err, best_lo = a, best_hi = b;
    }
  }
  for (int i = 0; i < n; ++i) x[i] = std::clamp(x[i], best_lo, best_hi);
}

// Byte and shift of element e in the 2-bit planes of Q2_K and Q3_K (kernels/block_formats.h).
int TwoBitByte(int e) { return 32 * (e / 128) + e % 32; }
int TwoBitShift(int e) { return 2 * ((e % 128) / 32); }

template <typename Block>
Block Load(const std::byte* p) {
  Block b;
  std::memcpy(&b, p, sizeof(Block));
  return b;
}
template <typename Block>
void Store(const Block& b, std::byte* p) {
  std::memcpy(p, &b, sizeof(Block));
}

// Replaces the quants of the block at `block` (its scales untouched) by codes [block size].
// A code is the stored unsigned value: Q8_0's is the int8 quant + 128.
void PackCodes(DType type, const uint8_t* codes, std::byte* block) {
  switch (type) {
    case DType::kQ8_0: {
      auto b = Load<BlockQ8_0>(block);
      for (int k = 0; k < kQK; ++k) b.qs[k] = static_cast<int8_t>(codes[k] - 128);
      return Store(b, block);
    }
    case DType::kQ4_0: {
      auto b = Load<BlockQ4_0>(block);
      for (int j = 0; j < kQK / 2; ++j)
        b.qs[j] = static_cast<uint8_t>(codes[j] | codes[j + 16] << 4);
      return Store(b, block);
    }
    case DType::kQ4_1: {
      auto b = Load<BlockQ4_1>(block);
      for (int j = 0; j < kQK / 2; ++j)
        b.qs[j] = static_cast<uint8_t>(codes[j] | codes[j + 16] << 4);
      return Store(b, block);
    }
    case DType::kQ2_K: {
      auto b = Load<BlockQ2_K>(block);
      std::memset(b.qs, 0, sizeof(b.qs));
      for (int e = 0; e < kQK_K; ++e) {
        b.qs[TwoBitByte(e)] |= static_cast<uint8_t>(codes[e] << TwoBitShift(e));
      }
      return Store(b, block);
    }
    case DType::kQ3_K: {
      auto b = Load<BlockQ3_K>(block);
      std::memset(b.qs, 0, sizeof(b.qs));
      std::memset(b.hmask, 0, sizeof(b.hmask));
      for (int e = 0; e < kQK_K; ++e) {
        b.qs[TwoBitByte(e)] |= static_cast<uint8_t>((codes[e] & 3) << TwoBitShift(e));
        b.hmask[e % 32] |= static_cast<uint8_t>((codes[e] >> 2) << (e / 32));
      }
      return Store(b, block);
    }
    case DType::kQ4_K:
    case DType::kQ5_K: {
      const bool five = type == DType::kQ5_K;
      auto b4 = five ? BlockQ4_K{} : Load<BlockQ4_K>(block);
      auto b5 = five ? Load<BlockQ5_K>(block) : BlockQ5_K{};
      uint8_t* qs = five ? b5.qs : b4.qs;
      std::memset(qs, 0, kQK_K / 2);
      if (five) std::memset(b5.qh, 0, sizeof(b5.qh));
      for (int e = 0; e < kQK_K; ++e) {
        const int g = e / 64, upper = (e % 64) / 32, i = e % 32;
        qs[32 * g + i] |= static_cast<uint8_t>((codes[e] & 0xF) << (4 * upper));
        if (five) b5.qh[i] |= static_cast<uint8_t>((codes[e] >> 4) << (2 * g + upper));
      }
      return five ? Store(b5, block) : Store(b4, block);
    }
    case DType::kQ6_K: {
      auto b = Load<BlockQ6_K>(block);
      std::memset(b.ql, 0, sizeof(b.ql));
      std::memset(b.qh, 0, sizeof(b.qh));
      for (int e = 0; e < kQK_K; ++e) {
        const int half = e / 128, quarter = (e % 128) / 32, i = e % 32;
        b.ql[64 * half + 32 * (quarter % 2) + i] |=
            static_cast<uint8_t>((codes[e] & 0xF) << (4 * (quarter / 2)));
        b.qh[32 * half + i] |= static_cast<uint8_t>((codes[e] >> 4) << (2 * quarter));
      }
      return Store(b, block);
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Integer sub-block scales (and mins) of the K types, refined after the reference encoder has
// rounded them: each sub-block tries the integers within kScaleSearchRadius of its own and keeps
// the pair with the least weighted error on the unclipped weights (the super-scales fixed).

constexpr int kScaleSearchRadius = 2;

struct SubScales {
  int n = 0;        // sub-blocks
  int ls[16] = {};  // integer scales (Q3_K: offset removed, −32..31; Q6_K: −128..127)
  int lm[16] = {};  // integer mins (asymmetric types)
  float d = 0, dmin = 0;
};

// value(q) = d·ls·(q − zero) − dmin·lm for q in [0, max_q]; ls in [ls_lo, ls_hi], lm in
// [0, lm_hi] (lm_hi 0: symmetric).
struct ScaleModel {
  int zero, max_q, ls_lo, ls_hi, lm_hi;
};

bool ScaleModelOf(DType type, ScaleModel* m) {
  switch (type) {
    case DType::kQ2_K:
      *m = {0, 3, 0, 15, 15};
      return true;
    case DType::kQ3_K:
      *m = {4, 7, -32, 31, 0};
      return true;
    case DType::kQ4_K:
      *m = {0, 15, 0, 63, 63};
      return true;
    case DType::kQ5_K:
      *m = {0, 31, 0, 63, 63};
      return true;
    case DType::kQ6_K:
      *m = {32, 63, -128, 127, 0};
      return true;
    default:
      return false;
  }
}

// The 6-bit scales and mins of Q4_K and Q5_K, packed in 12 bytes (kernels/block_formats.h).
void UnpackK4(const uint8_t* scales, int* ls, int* lm) {
  for (int s = 0; s < 8; ++s) {
    if (s < 4) {
      ls[s] = scales[s] & 63;
      lm[s] = scales[s + 4] & 63;
    } else {
      ls[s] = (scales[s + 4] & 0xF) | (scales[s - 4] >> 6) << 4;
      lm[s] = (scales[s + 4] >> 4) | (scales[s] >> 6) << 4;
    }
  }
}
void PackK4(const int* ls, const int* lm, uint8_t* scales) {
  for (int s = 0; s < 4; ++s) {
    scales[s] = static_cast<uint8_t>(ls[s] | (ls[s + 4] >> 4) << 6);
    scales[s + 4] = static_cast<uint8_t>(lm[s] | (lm[s + 4] >> 4) << 6);
    scales[s + 8] = static_cast<uint8_t>((ls[s + 4] & 0xF) | (lm[s + 4] & 0xF) << 4);
  }
}

SubScales ReadSubScales(DType type, const std::byte* block) {
  SubScales r;
  switch (type) {
    case DType::kQ2_K: {
      const auto b = Load<BlockQ2_K>(block);
      r.n = 16, r.d = F16ToF32(b.d), r.dmin = F16ToF32(b.dmin);
      for (int s = 0; s < 16; ++s) r.ls[s] = b.scales[s] & 0xF, r.lm[s] = b.scales[s] >> 4;
      break;
    }
    case DType::kQ3_K: {
      const auto b = Load<BlockQ3_K>(block);
      r.n = 16, r.d = F16ToF32(b.d);
      for (int s = 0; s < 16; ++s) {
        const int low = s < 8 ? b.scales[s] & 0xF : b.scales[s - 8] >> 4;
        const int high = (b.scales[8 + s % 4] >> (2 * (s / 4))) & 3;
        r.ls[s] = (low | high << 4) - 32;
      }
      break;
    }
    case DType::kQ4_K: {
      const auto b = Load<BlockQ4_K>(block);
      r.n = 8, r.d = F16ToF32(b.d), r.dmin = F16ToF32(b.dmin);
      UnpackK4(b.scales, r.ls, r.lm);
      break;
    }
    case DType::kQ5_K: {
      const auto b = Load<BlockQ5_K>(block);
      r.n = 8, r.d = F16ToF32(b.d), r.dmin = F16ToF32(b.dmin);
      UnpackK4(b.scales, r.ls, r.lm);
      break;
    }
    case DType::kQ6_K: {
      const auto b = Load<BlockQ6_K>(block);
      r.n = 16, r.d = F16ToF32(b.d);
      for (int s = 0; s < 16; ++s) r.ls[s] = b.scales[s];
      break;
    }
    default:
      break;
  }
  return r;
}

void WriteSubScales(DType type, const SubScales& r, std::byte* block) {
  switch (type) {
    case DType::kQ2_K: {
      auto b = Load<BlockQ2_K>(block);
      for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<uint8_t>(r.ls[s] | r.lm[s] << 4);
      return Store(b, block);
    }
    case DType::kQ3_K: {
      auto b = Load<BlockQ3_K>(block);
      std::memset(b.scales, 0, sizeof(b.scales));
      for (int s = 0; s < 16; ++s) {
        const int v = r.ls[s] + 32;
        if (s < 8) {
          b.scales[s] |= static_cast<uint8_t>(v & 0xF);
        } else {
          b.scales[s - 8] |= static_cast<uint8_t>((v & 0xF) << 4);
        }
        b.scales[8 + s % 4] |= static_cast<uint8_t>((v >> 4) << (2 * (s / 4)));
      }
      return Store(b, block);
    }
    case DType::kQ4_K: {
      auto b = Load<BlockQ4_K>(block);
      PackK4(r.ls, r.lm, b.scales);
      return Store(b, block);
    }
    case DType::kQ5_K: {
      auto b = Load<BlockQ5_K>(block);
      PackK4(r.ls, r.lm, b.scales);
      return Store(b, block);
    }
    case DType::kQ6_K: {
      auto b = Load<BlockQ6_K>(block);
      for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<int8_t>(r.ls[s]);
      return Store(b, block);
    }
    default:
      return;
  }
}

// Σ w·(x − x̂)² of one sub-block with integer scale ls and min lm (x̂ the nearest level).
float SubBlockError(const float* x, std::span<const float> w, int n, const ScaleModel& m, float d,
                    float dmin, int ls, int lm) {
  const float step = d * static_cast<float>(ls), off = dmin * static_cast<float>(lm);
  float err = 0;
  for (int i = 0; i < n; ++i) {
    float v = -off;
    if (step != 0) {
      const float q = std::clamp(std::nearbyint((x[i] + off) / step) + static_cast<float>(m.zero),
                                 0.0f, static_cast<float>(m.max_q));
      v = step * (q - static_cast<float>(m.zero)) - off;
    }
    const float e = x[i] - v;
    err += Weight(w, i) * e * e;
  }
  return err;
}

void RefineSubScales(DType type, std::byte* block, const float* x,
                     std::span<const float> importance, int sub) {
  ScaleModel m;
  if (!ScaleModelOf(type, &m)) return;
  SubScales r = ReadSubScales(type, block);
  for (int s = 0; s < r.n; ++s) {
    const float* xs = x + s * sub;
    const std::span<const float> w =
        importance.empty() ? importance : importance.subspan(static_cast<size_t>(s * sub), sub);
    int best_ls = r.ls[s], best_lm = r.lm[s];
    float best = SubBlockError(xs, w, sub, m, r.d, r.dmin, best_ls, best_lm);
    const int lm_radius = m.lm_hi > 0 ? kScaleSearchRadius : 0;
    for (int dl = -kScaleSearchRadius; dl <= kScaleSearchRadius; ++dl) {
      for (int dm = -lm_radius; dm <= lm_radius; ++dm) {
        const int ls = r.ls[s] + dl, lm = r.lm[s] + dm;
        if (ls < m.ls_lo || ls > m.ls_hi || lm < 0 || lm > m.lm_hi) continue;
        const float err = SubBlockError(xs, w, sub, m, r.d, r.dmin, ls, lm);
        if (err < best) best = err, best_ls = ls, best_lm = lm;
      }
    }
    r.ls[s] = best_ls, r.lm[s] = best_lm;
  }
  WriteSubScales(type, r, block);
}

}  // namespace

Result<KQuantGrid> KQuantGrid::Create(DType type, KFitOptions fit) {
  Result<KQuantGrid> grid = CreateShape(type);
  if (grid.ok()) grid->fit_ = fit;
  return grid;
}

Result<KQuantGrid> KQuantGrid::CreateShape(DType type) {
  switch (type) {
    case DType::kQ8_0:
      return KQuantGrid(type, kQK, kQK, 256);
    case DType::kQ4_0:
    case DType::kQ4_1:
      return KQuantGrid(type, kQK, kQK, 16);
    case DType::kQ2_K:
      return KQuantGrid(type, kQK_K, 16, 4);
    case DType::kQ3_K:
      return KQuantGrid(type, kQK_K, 16, 8);
    case DType::kQ4_K:
      return KQuantGrid(type, kQK_K, 32, 16);
    case DType::kQ5_K:
      return KQuantGrid(type, kQK_K, 32, 32);
    case DType::kQ6_K:
      return KQuantGrid(type, kQK_K, 16, 64);
    default:
      return InvalidArgument("type " + std::string(Name(type)) +
                             " has no quantization grid (q8_0, q4_0, q4_1, q2_K, q3_K, q4_K, "
                             "q5_K, q6_K have)");
  }
}

KBlockParams KQuantGrid::Fit(std::span<const float> x, std::span<const float> importance) const {
  const GridShape shape = ShapeOf(type_);
  float clipped[kQK_K];
  std::copy_n(x.begin(), block_, clipped);
  for (int s = 0; s < block_ / sub_; ++s) {
    const std::span<const float> w =
        importance.empty() ? importance : importance.subspan(static_cast<size_t>(s * sub_), sub_);
    if (!fit_.clip_search) break;
    if (shape.symmetric) {
      ClipSymmetric(clipped + s * sub_, sub_, w, shape);
    } else {
      ClipAsymmetric(clipped + s * sub_, sub_, w, shape);
    }
  }
  KBlockParams p;
  QuantizeRowReference(type_, clipped, p.header.data(), block_);
  uint8_t codes[kQK_K] = {};
  PackCodes(type_, codes, p.header.data());
  if (fit_.refine_scales) RefineSubScales(type_, p.header.data(), x.data(), importance, sub_);

  // Read every level's value back through the decoder.
  std::array<std::byte, kMaxGridBlockBytes> block;
  float decoded[kQK_K];
  for (int q = 0; q < levels_; ++q) {
    block = p.header;
    std::fill_n(codes, block_, static_cast<uint8_t>(q));
    PackCodes(type_, codes, block.data());
    DequantizeRow(type_, block.data(), decoded, block_);
    for (int s = 0; s < block_ / sub_; ++s) {
      p.values[static_cast<size_t>(s * levels_ + q)] = decoded[s * sub_];
    }
  }
  return p;
}

int KQuantGrid::Code(float x, const KBlockParams& p, int e) const {
  const float* v = p.values.data() + (e / sub_) * levels_;
  // Levels are affine in the code up to rounding (increasing or decreasing): estimate, then
  // step to the nearest neighbour.
  const float a = v[1] - v[0];
  int q = 0;
  if (a != 0) {
    const float estimate = std::nearbyint((x - v[0]) / a);
    q = static_cast<int>(std::clamp(estimate, 0.0f, static_cast<float>(levels_ - 1)));
  }
  while (q > 0 && std::fabs(x - v[q - 1]) < std::fabs(x - v[q])) --q;
  while (q + 1 < levels_ && std::fabs(x - v[q + 1]) < std::fabs(x - v[q])) ++q;
  return q;
}

void KQuantGrid::Emit(const KBlockParams& p, std::span<const uint8_t> codes, std::byte* out) const {
  std::array<std::byte, kMaxGridBlockBytes> block = p.header;
  PackCodes(type_, codes.data(), block.data());
  std::memcpy(out, block.data(), static_cast<size_t>(Info(type_).block_bytes));
}

}  // namespace lieq
