#include "quant/block_calibrator.h"

#include "core/half.h"

namespace lieq {

Site SiteOf(Projection p) {
  switch (p) {
    case Projection::kO:
      return kAttnOut;
    case Projection::kGate:
    case Projection::kUp:
      return kMlpIn;
    case Projection::kDown:
      return kMlpHidden;
    default:
      return kAttnIn;
  }
}

int64_t SiteWidth(int site, const ModelConfig& c) {
  switch (site) {
    case kAttnOut:
      return c.q_dim();
    case kMlpHidden:
      return c.intermediate_size;
    default:
      return c.hidden_size;
  }
}

BlockCalibrator::BlockCalibrator(const Model& model, ThreadPool& pool,
                                 const std::vector<std::vector<int32_t>>& windows,
                                 const MatMulOptions& kernels)
    : model_(model),
      pool_(pool),
      transformer_(model, pool, kernels),
      cache_(KvCache::SharedAcrossBlocks(
          model.config, windows.empty() ? 1 : static_cast<int64_t>(windows[0].size()))),
      windows_(windows) {}

void BlockCalibrator::Load(size_t s) {
  scratch_.resize(window_values_);
  const uint16_t* x = x_.data() + s * window_values_;
  for (size_t i = 0; i < window_values_; ++i) scratch_[i] = Bf16ToF32(x[i]);
}

void BlockCalibrator::Store(size_t s) {
  uint16_t* x = x_.data() + s * window_values_;
  for (size_t i = 0; i < window_values_; ++i) x[i] = F32ToBf16(scratch_[i]);
}

Status BlockCalibrator::Embed() {
  window_values_ =
      windows_.empty() ? 0 : windows_[0].size() * static_cast<size_t>(model_.config.hidden_size);
  x_.resize(windows_.size() * window_values_);
  scratch_.resize(window_values_);
  for (size_t s = 0; s < windows_.size(); ++s) {
    if (windows_[s].size() != windows_[0].size()) {
      return InvalidArgument("calibration windows must be of one length");
    }
    LIEQ_RETURN_IF_ERROR(transformer_.Embed(windows_[s], scratch_.data()));
    Store(s);
  }
  return Status::Ok();
}

std::vector<HessianAccumulator> BlockCalibrator::Collect(int l) {
  std::vector<HessianAccumulator> stats;
  for (int site = 0; site < kNumSites; ++site) stats.emplace_back(SiteWidth(site, model_.config));
  ForwardHooks hooks;
  hooks.inputs_only = true;  // the block's output is discarded
  hooks.linear_input = [&](int, Projection p, const float* x, int64_t n, int64_t) {
    // q/k/v and gate/up see the same pointer: count each input once.
    if (p == Projection::kQ || p == Projection::kO || p == Projection::kGate ||
        p == Projection::kDown) {
      stats[SiteOf(p)].Add(x, n, &pool_);
    }
  };
  for (size_t s = 0; s < windows_.size(); ++s) {
    Load(s);
    transformer_.Block(l, scratch_.data(), static_cast<int64_t>(windows_[s].size()), cache_,
                       &hooks);
  }
  // The solver runs next: give its Hessian copies the memory of the activation buffers.
  transformer_.ReleaseScratch();
  scratch_ = std::vector<float>();
  return stats;
}

void BlockCalibrator::Propagate(int l) {
  for (size_t s = 0; s < windows_.size(); ++s) {
    Load(s);
    transformer_.Block(l, scratch_.data(), static_cast<int64_t>(windows_[s].size()), cache_);
    Store(s);
  }
}

}  // namespace lieq
