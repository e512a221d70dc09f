// lieq convert MODEL -o OUT.gguf [--type f32|f16|bf16]: a GGUF file stock llama.cpp loads.
#include <cstdio>

#include "cli/command.h"
#include "cli/preflight.h"
#include "core/thread_pool.h"
#include "io/gguf_model.h"
#include "io/model_loader.h"
#include "model/finite_weights.h"

namespace lieq::cli {
namespace {

struct ConvertOptions {
  std::string model;
  std::string out;
  std::string type;
  bool force = false;
  bool allow_nonfinite = false;
};

Status RunConvert(const ConvertOptions& o) {
  GgufWriteOptions options;
  if (!o.type.empty()) {
    const DTypeInfo* info = FindDType(o.type);
    if (info == nullptr || IsQuantized(info->type)) {
      return InvalidArgument("--type must be f32, f16 or bf16, got '" + o.type + "'");
    }
    options.tensor_type = info->type;
  }
  options.write.overwrite = o.force;
  // Checks before work (cli/preflight.h): paths, memory, then the model's weights.
  LIEQ_RETURN_IF_ERROR(PreflightModelPath(o.model));
  LIEQ_RETURN_IF_ERROR(PreflightOutputFile(o.out, o.force));
  const uint64_t file_bytes = ModelFileBytes(o.model);
  LIEQ_RETURN_IF_ERROR(CheckMemory(
      {file_bytes, 0, "model files " + std::to_string(file_bytes >> 20) + " MiB"}, "convert"));
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  LIEQ_RETURN_IF_ERROR(CheckNotQuantized(model, o.model, "convert"));
  int64_t out_bytes = 0;
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    const DType t = slot.is_vector ? DType::kF32 : options.tensor_type.value_or(slot.view->dtype);
    out_bytes += RowBytes(t, slot.shape.back()) * (slot.view->NumElements() / slot.shape.back());
  });
  LIEQ_RETURN_IF_ERROR(PreflightOutputFile(o.out, o.force, static_cast<uint64_t>(out_bytes)));
  if (!o.allow_nonfinite) {
    ThreadPool pool(DefaultThreadCount());
    LIEQ_RETURN_IF_ERROR(CheckFiniteWeights(model, pool).WithContext(o.model));
  }
  LIEQ_RETURN_IF_ERROR(WriteGgufModel(model, o.out, options));
  std::fprintf(stderr, "wrote %s\n", o.out.c_str());
  return Status::Ok();
}

}  // namespace

void RegisterConvert(CLI::App& root, Status& result) {
  auto opts = std::make_shared<ConvertOptions>();
  CLI::App* app = root.add_subcommand("convert", "Write a model as GGUF (for llama.cpp)");
  app->add_option("model", opts->model, "Hugging Face folder or GGUF file")->required();
  app->add_option("-o,--out", opts->out, "Output .gguf file")->required();
  app->add_option("--type", opts->type, "Tensor type: f32, f16 or bf16 (default: as stored)");
  app->add_flag("--force", opts->force, "Overwrite an existing file (a regular file only)");
  app->add_flag("--allow-nonfinite", opts->allow_nonfinite,
                "Convert even when weights hold NaN or Inf");
  app->callback([opts, &result] { result = RunConvert(*opts); });
}

}  // namespace lieq::cli
