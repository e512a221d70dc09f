#include "quant/embed_head.h"

#include <cstring>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/quantize_reference.h"
#include "quant/gguf_export.h"
#include "quant/kquant_gptq.h"

namespace lieq {

Status CheckEmbedHeadTypes(const EmbedHeadTypes& types) {
  for (DType t : {types.head, types.embed.value_or(types.head)}) {
    if (!IsQuantized(t)) continue;
    Result<KQuantGrid> grid = KQuantGrid::Create(t);
    if (!grid.ok()) return grid.status().WithContext("embedding/head type");
  }
  return Status::Ok();
}

Result<TensorView> QuantizeMatrix(Model& model, const TensorView& src, DType type,
                                  ThreadPool& pool) {
  const std::vector<float> w = ToF32(src);
  if (!IsQuantized(type)) {
    OwnedTensor t = OwnedTensor::Zeros(type, src.shape);
    const int64_t row_bytes = RowBytes(type, src.cols());
    pool.ParallelFor(src.rows(), [&](int64_t r) {
      QuantizeRowReference(type, w.data() + r * src.cols(), t.buffer.data() + r * row_bytes,
                           src.cols());
    });
    return model.Adopt(std::move(t));
  }
  LIEQ_ASSIGN_OR_RETURN(KQuantGrid grid, KQuantGrid::Create(type));
  LIEQ_ASSIGN_OR_RETURN(GridQuantizedLinear q,
                        QuantizeInGrid(w, src.rows(), src.cols(), {}, grid, GptqOptions{}, pool));
  q.values = {};
  OwnedTensor t = OwnedTensor::Zeros(type, src.shape);
  std::memcpy(t.buffer.data(), q.data.data(), q.data.size());
  return model.Adopt(std::move(t));
}

Status QuantizeEmbedHead(Model& model, const EmbedHeadTypes& types, ThreadPool& pool,
                         std::map<const TensorView*, DType>* wanted) {
  LIEQ_RETURN_IF_ERROR(CheckEmbedHeadTypes(types));
  ModelConfig& c = model.config;
  const bool tied = c.tie_word_embeddings;
  const DType head_type = FitTypeToRow(types.head, c.hidden_size);
  const DType embed_wanted = types.embed.value_or(tied ? types.head : DType::kQ4_K);
  const DType embed_type = FitTypeToRow(embed_wanted, c.hidden_size);
  const TensorView embed_src = model.weights.embed, head_src = model.weights.lm_head;
  LIEQ_ASSIGN_OR_RETURN(model.weights.embed, QuantizeMatrix(model, embed_src, embed_type, pool));
  if (wanted != nullptr) (*wanted)[&model.weights.embed] = embed_wanted;
  if (tied && embed_type == head_type) {
    model.weights.lm_head = model.weights.embed;
    return Status::Ok();
  }
  c.tie_word_embeddings = false;  // untied: the head is stored at its own type
  LIEQ_ASSIGN_OR_RETURN(model.weights.lm_head, QuantizeMatrix(model, head_src, head_type, pool));
  if (wanted != nullptr) (*wanted)[&model.weights.lm_head] = types.head;
  return Status::Ok();
}

}  // namespace lieq
