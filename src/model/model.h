// A loaded model: configuration, weight views, optional tokenizer, and the storage that
// keeps the views valid (memory maps of the source files, converted tensors).
#pragma once

#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "core/tensor.h"
#include "model/config.h"
#include "model/weights.h"
#include "tokenizer/tokenizer_spec.h"

namespace lieq {

struct Model {
  ModelConfig config;
  ModelWeights weights;
  std::optional<TokenizerSpec> tokenizer;  // absent when the source has none
  std::string source_path;                 // folder or .gguf file
  std::string source_format;               // "safetensors" or "gguf"

  std::vector<std::shared_ptr<MappedFile>> files;  // keep-alive for views into maps
  std::deque<OwnedTensor> owned;                   // keep-alive for converted tensors
  std::vector<std::shared_ptr<const void>> kept;   // keep-alive for anything else views point
                                                   // into (e.g. layers packed by the quantizer)

  // Takes ownership of `t` and returns a view that stays valid for the model's lifetime.
  TensorView Adopt(OwnedTensor t) {
    owned.push_back(std::move(t));
    return owned.back().view();
  }
  // A copy of `values` as an F32 tensor of `shape`, owned by the model.
  TensorView AdoptF32(const Shape& shape, std::span<const float> values) {
    OwnedTensor t = OwnedTensor::Zeros(DType::kF32, shape);
    std::memcpy(t.f32(), values.data(), values.size() * sizeof(float));
    return Adopt(std::move(t));
  }

  // Drops v's pages from resident memory when v points into a mapped source file (see
  // MappedFile::Release); owned tensors are left alone.
  void ReleasePages(const TensorView& v) const {
    if (v.data == nullptr) return;
    for (const auto& file : files) {
      if (file->Contains(v.data)) file->Release(v.data, static_cast<size_t>(v.SizeBytes()));
    }
  }

  Model() = default;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
};

}  // namespace lieq
