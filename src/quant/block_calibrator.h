// The calibration activations entering the block being quantized, shared by the quantizer and
// the GGUF export: block l is calibrated on the outputs of the already-quantized blocks 0..l−1.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "model/model.h"
#include "quant/hessian.h"
#include "runtime/kv_cache.h"
#include "runtime/transformer.h"

namespace lieq {

// The four inputs a block's seven linear layers read.
enum Site { kAttnIn = 0, kAttnOut = 1, kMlpIn = 2, kMlpHidden = 3, kNumSites = 4 };

Site SiteOf(Projection p);
int64_t SiteWidth(int site, const ModelConfig& c);

class BlockCalibrator {
 public:
  // `kernels`: the prefill kernels of the forward passes (fast_prefill: BF16 / int8 GEMMs where
  // they apply; the linear inputs the statistics see are then computed from BF16- or
  // 8-bit-rounded activations one layer up).
  BlockCalibrator(const Model& model, ThreadPool& pool,
                  const std::vector<std::vector<int32_t>>& windows,
                  const MatMulOptions& kernels = {});

  // Embeds every window: the activations entering block 0.
  Status Embed();
  // Runs block l on a copy of every window's activations and accumulates its layers' inputs,
  // one accumulator per Site.
  std::vector<HessianAccumulator> Collect(int l);
  // Advances every window through block l (as the model now holds it).
  void Propagate(int l);

 private:
  const Model& model_;
  ThreadPool& pool_;
  Transformer transformer_;
  KvCache cache_;
  const std::vector<std::vector<int32_t>>& windows_;
  // Copies window s into scratch_ as floats, and back (rounded to BF16).
  void Load(size_t s);
  void Store(size_t s);

  // The residual streams between blocks, [windows, n, d] in BF16, as the GPTQ reference keeps
  // them in the model's 16-bit dtype: half the memory of floats (1.07 → 0.54 GB at the default
  // 128 × 2048 on a 1024-wide model), the largest part of quantize's peak. The blocks compute
  // in float on one window at a time (scratch_). One allocation: one mapping the allocator
  // returns whole, rather than hundreds of window-sized blocks among the passes' transient
  // buffers (which fragmented the heap: +15 % over the streams' own size at 128 windows).
  std::vector<uint16_t> x_;
  size_t window_values_ = 0;
  std::vector<float> scratch_;
};

}  // namespace lieq
