#include "runtime/kv_cache.h"

namespace lieq {

KvCache::KvCache(const ModelConfig& config, int64_t capacity)
    : KvCache(config, capacity, config.num_layers) {}

KvCache KvCache::SharedAcrossBlocks(const ModelConfig& config, int64_t capacity) {
  return KvCache(config, capacity, 1);
}

KvCache::KvCache(const ModelConfig& config, int64_t capacity, int64_t layers)
    : capacity_(capacity), kv_dim_(config.kv_dim()) {
  for (int64_t l = 0; l < layers; ++l) {
    // Uninitialised storage is fine: only positions < size_ are ever read.
    OwnedTensor k, v;
    k.dtype = v.dtype = DType::kF32;
    k.shape = v.shape = {capacity, kv_dim_};
    k.buffer = AlignedBuffer(static_cast<size_t>(capacity * kv_dim_) * sizeof(float));
    v.buffer = AlignedBuffer(static_cast<size_t>(capacity * kv_dim_) * sizeof(float));
    keys_.push_back(std::move(k));
    values_.push_back(std::move(v));
  }
}

}  // namespace lieq
