// lieq make-random --like PRESET -o DIR: a seeded random-initialised model of a real shape.
#include <cstdio>

#include "cli/command.h"
#include "io/random_model.h"

namespace lieq::cli {
namespace {

struct MakeRandomOptions {
  RandomModelOptions model;
  std::string out;
};

}  // namespace

void RegisterMakeRandom(CLI::App& root, Status& result) {
  auto opts = std::make_shared<MakeRandomOptions>();
  std::string presets;
  for (const std::string& p : PresetNames()) presets += (presets.empty() ? "" : ", ") + p;
  CLI::App* app = root.add_subcommand("make-random", "Write a random-initialised model (Hugging Face layout)");
  app->add_option("--like", opts->model.preset, "Shape preset: " + presets)->required();
  app->add_option("--arch", opts->model.arch, "Override the architecture: qwen3, qwen2, llama");
  app->add_option("--tokenizer", opts->model.tokenizer, "tokenizer.json to ship with the model");
  app->add_option("--dtype", opts->model.dtype, "f32, bf16 or f16");
  app->add_option("--seed", opts->model.seed, "Random seed");
  app->add_option("--layers", opts->model.num_layers, "Override the number of blocks")->check(CLI::PositiveNumber);
  app->add_option("--norm-jitter", opts->model.norm_jitter, "Std of norm weights around 1");
  app->add_flag("--force", opts->model.write.overwrite, "Overwrite an existing model");
  app->add_option("-o,--out", opts->out, "Output folder")->required();
  app->callback([opts, &result] {
    result = WriteRandomModel(opts->model, opts->out);
    if (result.ok()) std::fprintf(stderr, "wrote %s\n", opts->out.c_str());
  });
}

}  // namespace lieq::cli
