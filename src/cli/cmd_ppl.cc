// lieq ppl MODEL --text FILE: perplexity by the GPTQ/AWQ protocol or llama-perplexity's.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/preflight.h"
#include "core/mapped_file.h"
#include "eval/perplexity.h"
#include "io/model_loader.h"
#include "tokenizer/tokenizer.h"

namespace lieq::cli {
namespace {

struct PplCliOptions {
  std::string model;
  std::string text;
  std::string protocol = "gptq";
  int64_t ctx = 0;  // 0 = the protocol's default
  int64_t chunks = 0;
  std::vector<int> skip_blocks;  // blocks replaced by the identity (ΔPPL of a block)
  bool fast_prefill = false;     // the int8 / BF16 GEMMs instead of exact float activations
  bool allow_nonfinite = false;
  bool allow_long_context = false;
  CommonOptions common;
};

Status RunPpl(const PplCliOptions& o) {
  PplOptions options;
  int64_t preferred_ctx = 0;
  if (o.protocol == "gptq") {
    options.protocol = PplProtocol::kGptq;
    preferred_ctx = 2048;
  } else if (o.protocol == "llama.cpp") {
    options.protocol = PplProtocol::kLlamaCpp;
    preferred_ctx = 512;
  } else {
    return InvalidArgument("--protocol must be gptq or llama.cpp, got '" + o.protocol + "'");
  }
  options.max_windows = o.chunks;
  options.allow_nonfinite = o.allow_nonfinite;
  // Checks before work (cli/preflight.h).
  LIEQ_RETURN_IF_ERROR(PreflightModelPath(o.model));
  LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.text, "--text"));
  LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(o.text));  // bounded (kMaxTextFileBytes)
  const uint64_t file_bytes = ModelFileBytes(o.model);
  LIEQ_RETURN_IF_ERROR(CheckMemory({file_bytes, 0, "model files"}, "ppl"));
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  // The default window never exceeds the model's context (2048 on a 512-context model would
  // score positions it was never trained on); a longer --ctx needs --allow-long-context.
  LIEQ_ASSIGN_OR_RETURN(options.ctx, ResolveContext(o.ctx, preferred_ctx, model.config, "--ctx",
                                                    o.allow_long_context));
  MemoryNeed need = RuntimeNeed(model.config, options.ctx, 64);
  need.mapped = file_bytes;
  LIEQ_RETURN_IF_ERROR(CheckMemory(need, "ppl"));
  for (int b : o.skip_blocks) {
    if (b < 0 || b >= model.config.num_layers) {
      return InvalidArgument("--skip-block " + std::to_string(b) + " is not a block of " + o.model +
                             " (0.." + std::to_string(model.config.num_layers - 1) + ")");
    }
  }
  if (!model.tokenizer) return InvalidArgument(o.model + ": the model has no tokenizer");
  LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
  Result<std::vector<int32_t>> tokens = tokenizer.Encode(text, /*add_special=*/true);
  if (!tokens.ok()) return tokens.status().WithContext(o.text);
  if (options.protocol == PplProtocol::kLlamaCpp && tokenizer.add_bos()) {
    options.bos_id = tokenizer.bos_id();
  }
  const int threads = ResolveThreads(o.common);
  ThreadPool pool(threads);
  Transformer transformer(model, pool, MatMulOptions{.fast_prefill = o.fast_prefill});
  std::fprintf(stderr, "%s: %zu tokens, %s protocol, ctx %lld, %d threads\n", o.text.c_str(),
               tokens->size(), o.protocol.c_str(), static_cast<long long>(options.ctx), threads);
  options.progress = [](int64_t done, int64_t total, double ppl) {
    std::fprintf(stderr, "\r[%lld/%lld] ppl %.4f", static_cast<long long>(done),
                 static_cast<long long>(total), ppl);
    if (done == total) std::fprintf(stderr, "\n");
  };
  ForwardHooks hooks;
  for (int b : o.skip_blocks) {
    if (b < 0 || b >= model.config.num_layers) {
      return InvalidArgument("--skip-block " + std::to_string(b) + " is not a block of " + o.model +
                             " (0.." + std::to_string(model.config.num_layers - 1) + ")");
    }
    hooks.skip_blocks.resize(static_cast<size_t>(model.config.num_layers), false);
    hooks.skip_blocks[static_cast<size_t>(b)] = true;
  }
  LIEQ_ASSIGN_OR_RETURN(PplResult r, Perplexity(transformer, *tokens, options,
                                                hooks.skip_blocks.empty() ? nullptr : &hooks));
  const double tps = r.tokens_processed / r.seconds;
  if (o.common.json) {
    nlohmann::json j = {{"model", o.model},       {"text", o.text},
                        {"protocol", o.protocol}, {"ctx", options.ctx},
                        {"ppl", r.ppl},           {"ppl_stderr", r.ppl_stderr},
                        {"mean_nll", r.mean_nll}, {"windows", r.windows},
                        {"tokens_scored", r.tokens_scored},
                        {"tokens_processed", r.tokens_processed},
                        {"fast_prefill", o.fast_prefill},
                        {"text_tokens", tokens->size()},
                        {"seconds", r.seconds},   {"tokens_per_second", tps},
                        {"threads", threads}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("PPL = %.4f +/- %.5f  (%lld windows of %lld, %lld tokens scored, %.1f tokens/s)\n",
                r.ppl, r.ppl_stderr, static_cast<long long>(r.windows),
                static_cast<long long>(options.ctx), static_cast<long long>(r.tokens_scored), tps);
  }
  return Status::Ok();
}

}  // namespace

void RegisterPpl(CLI::App& root, Status& result) {
  auto opts = std::make_shared<PplCliOptions>();
  CLI::App* app = root.add_subcommand("ppl", "Perplexity of a model on a text file");
  app->add_option("model", opts->model, "Hugging Face folder or GGUF file")->required();
  app->add_option("--text", opts->text, "UTF-8 text file (e.g. ../shared/data/eval/wikitext2-test.raw)")->required();
  app->add_option("--protocol", opts->protocol,
                  "gptq: windows of --ctx (default 2048, at most the model's context), every "
                  "token scored; llama.cpp: ctx 512, "
                  "second half of each window scored, as llama-perplexity");
  app->add_option("--ctx", opts->ctx,
                  "Window length in tokens (default: the protocol's, capped at the model's "
                  "context)")
      ->check(CLI::PositiveNumber);
  app->add_flag("--allow-long-context", opts->allow_long_context,
                "Allow --ctx past the model's max_position_embeddings (with a warning)");
  app->add_flag("--allow-nonfinite", opts->allow_nonfinite,
                "Go on when logits are NaN or Inf (PPL is then nan or inf)");
  app->add_option("--chunks", opts->chunks, "Score only the first N windows")->check(CLI::PositiveNumber);
  app->add_option("--skip-block", opts->skip_blocks, "Replace block N by the identity (repeatable)");
  app->add_flag("--fast-prefill", opts->fast_prefill,
                "Run the windows through the fast prefill kernels (activations rounded to 8 bits or "
                "BF16, as lieq generate does) instead of the exact float path, which measures the "
                "weights alone");
  AddCommonOptions(*app, opts->common);
  app->callback([opts, &result] { result = RunPpl(*opts); });
}

}  // namespace lieq::cli
