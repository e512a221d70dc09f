// Keys and values of past positions, per block, in float32.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "model/config.h"

namespace lieq {

class KvCache {
 public:
  KvCache(const ModelConfig& config, int64_t capacity);
  // One layer of storage that every block uses: for passes that run one block over all windows
  // before the next (calibration, diagnostics), where a block's keys and values are never read
  // after its pass. A cache per block would keep num_layers × capacity × kv_dim × 8 bytes
  // resident (470 MB for Qwen3-0.6B at 2048 positions).
  static KvCache SharedAcrossBlocks(const ModelConfig& config, int64_t capacity);

  int64_t size() const { return size_; }  // positions stored
  int64_t capacity() const { return capacity_; }
  int64_t kv_dim() const { return kv_dim_; }

  float* keys(int block) { return keys_[Layer(block)].f32(); }      // [capacity, Hkv*hd]
  float* values(int block) { return values_[Layer(block)].f32(); }  // [capacity, Hkv*hd]

  void Advance(int64_t n) { size_ += n; }
  // Forgets positions from `n` on (shared-prefix scoring rewinds to the prefix).
  void Truncate(int64_t n) {
    if (n < size_) size_ = n;
  }
  void Clear() { size_ = 0; }

 private:
  KvCache(const ModelConfig& config, int64_t capacity, int64_t layers);
  size_t Layer(int block) const { return keys_.size() == 1 ? 0 : static_cast<size_t>(block); }

  int64_t capacity_;
  int64_t kv_dim_;
  int64_t size_ = 0;
  std::vector<OwnedTensor> keys_;
  std::vector<OwnedTensor> values_;
};

}  // namespace lieq
