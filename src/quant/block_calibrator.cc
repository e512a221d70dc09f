#include "quant/block_calibrator.h"

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

Status BlockCalibrator::Embed() {
  window_floats_ =
      windows_.empty() ? 0 : windows_[0].size() * static_cast<size_t>(model_.config.hidden_size);
  x_.resize(windows_.size() * window_floats_);
  for (size_t s = 0; s < windows_.size(); ++s) {
    if (windows_[s].size() != windows_[0].size()) {
      return InvalidArgument("calibration windows must be of one length");
    }
    LIEQ_RETURN_IF_ERROR(transformer_.Embed(windows_[s], Window(s)));
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
    scratch_.assign(Window(s), Window(s) + window_floats_);
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
    transformer_.Block(l, Window(s), static_cast<int64_t>(windows_[s].size()), cache_);
  }
}

}  // namespace lieq
