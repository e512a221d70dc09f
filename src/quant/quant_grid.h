// The quantization grid GPTQ, AWQ and RTN share: for one group of g consecutive weights of a
// row, Fit chooses the group's parameters; Code and Value then map single weights onto the
// grid with those parameters held fixed. GPTQ's error feedback only talks to this interface,
// so another grid (e.g. llama.cpp's K-quants) can be plugged in without touching the solver.
#pragma once

#include <cstdint>
#include <span>

namespace lieq {

// Parameters of one group. For the project's integer grid: w ≈ scale · (q − zero).
struct GroupParams {
  float scale = 1;
  float zero = 0;
};

class QuantGrid {
 public:
  virtual ~QuantGrid() = default;
  virtual int bits() const = 0;
  // Parameters of one group of weights w [g] (already error-updated, in GPTQ).
  virtual GroupParams Fit(std::span<const float> w) const = 0;
  // The code of the grid point nearest w, and the weight a code stands for.
  virtual int Code(float w, const GroupParams& p) const = 0;
  virtual float Value(int code, const GroupParams& p) const = 0;
  float QuantizeDequantize(float w, const GroupParams& p) const { return Value(Code(w, p), p); }
};

// Group-wise asymmetric b-bit integers (kernels/group_quant.h): min–max over the group,
// optionally shrunk by `clip` ∈ (0, 1] towards zero, scale rounded to FP16 so that what GPTQ
// feeds back is exactly what the file stores, zero an integer in [0, 2^b − 1].
class IntGrid : public QuantGrid {
 public:
  explicit IntGrid(int bits, float clip = 1.0f) : bits_(bits), clip_(clip) {}
  int bits() const override { return bits_; }
  GroupParams Fit(std::span<const float> w) const override;
  int Code(float w, const GroupParams& p) const override;
  float Value(int code, const GroupParams& p) const override { return p.scale * (code - p.zero); }

  // Parameters for the range [lo, hi] (lo <= 0 <= hi after widening), FP16-rounded.
  GroupParams FitRange(float lo, float hi) const;

 private:
  int bits_;
  float clip_;
};

}  // namespace lieq
