// llama.cpp's block grids (Q8_0, Q4_0, Q4_1 and the K-quants Q2_K ... Q6_K) as quantization
// grids for GPTQ's column loop (quant/kquant_gptq.h). One block covers block_size() consecutive
// columns of one row (256 for K types, 32 otherwise). Three steps:
//   Fit   the block's parameters (super-scales, sub-block scales and mins, exactly as stored),
//         from the current (error-updated) weights when the loop reaches the block's first column;
//   Code  each weight's nearest level with those parameters held fixed (Value: what it decodes to);
//   Emit  the block's ggml bytes for the chosen codes.
// Values are read back through kernels/dequantize.h when a block is fitted, so what GPTQ feeds
// back is bit for bit what DequantizeRow (and llama.cpp) decode from the emitted bytes: no second
// rounding happens between the solver and the file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/dtype.h"
#include "core/status.h"

namespace lieq {

inline constexpr int kMaxGridBlockBytes = 210;  // BlockQ6_K, the largest block
inline constexpr int kMaxGridValues = 1024;     // sub-blocks × levels: Q6_K's 16 × 64

// The fixed parameters of one block of one row.
struct KBlockParams {
  // The block's bytes with every quant zero: scales, mins and super-scales as stored.
  std::array<std::byte, kMaxGridBlockBytes> header{};
  // [sub_blocks, levels]: what code q of sub-block s decodes to, read back by DequantizeRow.
  std::array<float, kMaxGridValues> values{};
};

// How Fit searches a block's parameters beyond plain min–max.
struct KFitOptions {
  bool clip_search = true;    // per sub-block clip ratio of the range
  bool refine_scales = true;  // K types: integer sub-block scales/mins ±2 around the rounded ones
};

class KQuantGrid {
 public:
  // Q8_0, Q4_0, Q4_1, Q2_K, Q3_K, Q4_K, Q5_K or Q6_K; kInvalidArgument for any other type.
  static Result<KQuantGrid> Create(DType type, KFitOptions fit = {});

  DType type() const { return type_; }
  int block_size() const { return block_; }    // columns per block: 256 (K) or 32
  int sub_block_size() const { return sub_; }  // columns sharing one scale: 16 or 32
  int levels() const { return levels_; }       // codes per weight: 4 (Q2_K) ... 256 (Q8_0)

  // Parameters of block x [block_size]. Each sub-block's range is clipped by the ratio that
  // minimises Σ importance·(x − x̂)² on its own (unquantized-scale) grid; importance [block_size]
  // (e.g. the Hessian diagonal, llama.cpp's imatrix) or empty for uniform weights. Then the
  // scales are encoded as the format stores them (kernels/quantize_reference.h), and the integer
  // sub-block scales of K types refined on the same criterion (KFitOptions turns both off).
  KBlockParams Fit(std::span<const float> x, std::span<const float> importance = {}) const;

  // The code of the level nearest x for element e (0 <= e < block_size) of the block.
  int Code(float x, const KBlockParams& p, int e) const;
  // What code `code` of element e decodes to.
  float Value(int code, const KBlockParams& p, int e) const {
    return p.values[static_cast<size_t>((e / sub_) * levels_ + code)];
  }
  float QuantizeDequantize(float x, const KBlockParams& p, int e) const {
    return Value(Code(x, p, e), p, e);
  }

  // Writes the block's Info(type()).block_bytes bytes for codes [block_size] to out.
  void Emit(const KBlockParams& p, std::span<const uint8_t> codes, std::byte* out) const;

 private:
  static Result<KQuantGrid> CreateShape(DType type);
  KQuantGrid(DType type, int block, int sub, int levels)
      : type_(type), block_(block), sub_(sub), levels_(levels) {}

  KFitOptions fit_;
  DType type_;
  int block_;
  int sub_;
  int levels_;
};

}  // namespace lieq
