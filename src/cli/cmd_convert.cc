// lieq convert MODEL -o OUT.gguf [--type f32|f16|bf16]: a GGUF file stock llama.cpp loads.
#include <cstdio>

#include "cli/command.h"
#include "io/gguf_model.h"
#include "io/model_loader.h"

namespace lieq::cli {
namespace {

struct ConvertOptions {
  std::string model;
  std::string out;
  std::string type;
  bool force = false;
};

Status RunConvert(const ConvertOptions& o) {
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  GgufWriteOptions options;
  if (!o.type.empty()) {
    const DTypeInfo* info = FindDType(o.type);
    if (info == nullptr || IsQuantized(info->type)) {
      return InvalidArgument("--type must be f32, f16 or bf16, got '" + o.type + "'");
    }
    options.tensor_type = info->type;
  }
  options.write.overwrite = o.force;
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
  app->add_flag("--force", opts->force, "Overwrite an existing file");
  app->callback([opts, &result] { result = RunConvert(*opts); });
}

}  // namespace lieq::cli
