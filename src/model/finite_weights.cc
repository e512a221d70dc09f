#include "model/finite_weights.h"

#include <atomic>
#include <limits>

#include "core/finite.h"

namespace lieq {

Status CheckFiniteWeights(const Model& model, ThreadPool& pool) {
  ModelWeights& weights = const_cast<ModelWeights&>(model.weights);  // the visitor takes non-const
  Status status;
  ForEachTensor(model.config, weights, [&](TensorSlot& slot) {
    if (!status.ok()) return;
    const TensorView& v = *slot.view;
    if (v.data == nullptr || IsQuantized(v.dtype)) return;
    const int64_t n = v.NumElements();
    const int64_t elem = Info(v.dtype).block_bytes;
    std::atomic<int64_t> first{std::numeric_limits<int64_t>::max()};
    pool.ParallelRanges(n, [&](int, int64_t begin, int64_t end) {
      const int64_t i = FirstNonFinite(v.dtype, v.data + begin * elem, end - begin);
      if (i < 0) return;
      int64_t seen = first.load();
      while (begin + i < seen && !first.compare_exchange_weak(seen, begin + i)) {
      }
    });
    model.ReleasePages(v);  // read once: do not keep the whole file resident
    const int64_t at = first.load();
    if (at == std::numeric_limits<int64_t>::max()) return;
    const int64_t cols = v.cols();
    status = DataLoss(slot.hf_name + ": " + NonFiniteName(v.dtype, v.data, at) + " at row " +
                      std::to_string(at / cols) + ", column " + std::to_string(at % cols) +
                      " (the weights are broken; --allow-nonfinite goes on anyway)");
  });
  return status;
}

}  // namespace lieq
