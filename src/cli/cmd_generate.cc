// lieq generate MODEL "prompt" -n 64: greedy or seeded sampling with a KV cache, streamed.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/preflight.h"
#include "core/finite.h"
#include "io/generation_config.h"
#include "io/model_loader.h"
#include "runtime/sampler.h"
#include "runtime/transformer.h"
#include "tokenizer/tokenizer.h"

namespace lieq::cli {
namespace {

struct GenerateOptions {
  std::string model;
  std::string prompt;
  int64_t n_predict = 64;
  SamplerOptions sampler;
  bool greedy = false;           // --greedy: ignore the model's sampling defaults
  bool user_sampling = false;    // --temp/--top-k/--top-p/--repeat-penalty given
  bool allow_nonfinite = false;
  bool allow_long_context = false;
  CommonOptions common;
};

// The model's generation_config.json supplies the sampling settings unless the command line
// sets any of them (as Hugging Face's generate() does); --greedy turns sampling off.
Result<SamplerOptions> ResolveSampler(const GenerateOptions& o) {
  SamplerOptions s = o.sampler;
  if (o.greedy) {
    s.temperature = 0;
    return s;
  }
  if (o.user_sampling) {
    LIEQ_RETURN_IF_ERROR(ValidateSamplerOptions(s, "the command line"));
    return s;
  }
  LIEQ_ASSIGN_OR_RETURN(GenerationDefaults d, ReadGenerationConfig(o.model));
  if (!d.do_sample.value_or(false)) return s;
  s.temperature = d.temperature.value_or(1.0);
  s.top_k = d.top_k.value_or(50);  // HF's defaults when the file omits them
  s.top_p = d.top_p.value_or(1.0);
  s.repetition_penalty = d.repetition_penalty.value_or(1.0);
  LIEQ_RETURN_IF_ERROR(ValidateSamplerOptions(s, o.model + "/generation_config.json"));
  return s;
}

// A NaN/Inf logit would make the sampler pick garbage ("!!!!"): an error naming the position.
Status CheckLogits(const std::vector<float>& logits, int64_t position, bool allow) {
  if (allow) return Status::Ok();
  const int64_t bad = FirstNonFinite(logits);
  if (bad < 0) return Status::Ok();
  return DataLoss(
      "position " + std::to_string(position) + ": logit of token id " + std::to_string(bad) +
      " is " + NonFiniteName(DType::kF32, reinterpret_cast<const std::byte*>(logits.data()), bad) +
      "; the model's weights or activations hold NaN/Inf (--allow-nonfinite goes on)");
}

Status RunGenerate(const GenerateOptions& o) {
  // Checks before work (cli/preflight.h): the sampling settings wherever they come from, the
  // model's memory, the context.
  LIEQ_RETURN_IF_ERROR(PreflightModelPath(o.model));
  LIEQ_ASSIGN_OR_RETURN(SamplerOptions sampling, ResolveSampler(o));
  const uint64_t file_bytes = ModelFileBytes(o.model);
  LIEQ_RETURN_IF_ERROR(CheckMemory({file_bytes, 0, "model files"}, "generate"));
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  if (!model.tokenizer) return InvalidArgument(o.model + ": the model has no tokenizer");
  LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
  LIEQ_ASSIGN_OR_RETURN(std::vector<int32_t> prompt, tokenizer.Encode(o.prompt, true));
  if (prompt.empty()) return InvalidArgument("the prompt is empty");
  const ModelConfig& c = model.config;
  const int64_t positions = static_cast<int64_t>(prompt.size()) + o.n_predict;
  if (c.max_position_embeddings > 0 && positions > c.max_position_embeddings) {
    LIEQ_RETURN_IF_ERROR(ResolveContext(positions, positions, c,
                                        "the prompt (" + std::to_string(prompt.size()) +
                                            " tokens) + -n " + std::to_string(o.n_predict) + " =",
                                        o.allow_long_context)
                             .status());
  }
  MemoryNeed need = RuntimeNeed(c, positions, 1);
  need.mapped = file_bytes;
  LIEQ_RETURN_IF_ERROR(CheckMemory(need, "generate"));
  ThreadPool pool(ResolveThreads(o.common));
  // Generation takes the fast prefill kernels (int8 / BF16 GEMMs); ppl keeps the exact path.
  Transformer transformer(model, pool, MatMulOptions{.fast_prefill = true});
  KvCache cache(c, positions);
  Sampler sampler(sampling);
  std::vector<int32_t> history = prompt;
  std::vector<float> hidden(static_cast<size_t>(prompt.size()) * c.hidden_size);
  std::vector<float> logits(static_cast<size_t>(c.vocab_size));

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  LIEQ_RETURN_IF_ERROR(transformer.Forward(prompt, cache, hidden.data()));
  transformer.Logits(hidden.data() + (prompt.size() - 1) * c.hidden_size, 1, logits.data());
  LIEQ_RETURN_IF_ERROR(
      CheckLogits(logits, static_cast<int64_t>(prompt.size()) - 1, o.allow_nonfinite));
  const auto t1 = Clock::now();
  if (!o.common.json) std::printf("%s", o.prompt.c_str());
  std::vector<int32_t> generated;
  for (int64_t i = 0; i < o.n_predict; ++i) {
    ApplyRepetitionPenalty(logits, history, sampling.repetition_penalty);
    const int32_t next = sampler.Sample(logits);
    if (next == tokenizer.eos_id()) break;
    generated.push_back(next);
    history.push_back(next);
    if (!o.common.json) {
      std::printf("%s", tokenizer.TokenPiece(next).c_str());
      std::fflush(stdout);
    }
    if (i + 1 == o.n_predict) break;
    const int32_t token[1] = {next};
    LIEQ_RETURN_IF_ERROR(transformer.Forward(token, cache, hidden.data()));
    transformer.Logits(hidden.data(), 1, logits.data());
    LIEQ_RETURN_IF_ERROR(
        CheckLogits(logits, static_cast<int64_t>(prompt.size()) + i, o.allow_nonfinite));
  }
  const auto t2 = Clock::now();
  const double prefill_s = std::chrono::duration<double>(t1 - t0).count();
  const double decode_s = std::chrono::duration<double>(t2 - t1).count();
  const double decode_tps = generated.size() > 1 ? (generated.size() - 1) / decode_s : 0.0;
  if (o.common.json) {
    nlohmann::json j = {{"prompt", o.prompt},
                        {"prompt_tokens", prompt},
                        {"tokens", generated},
                        {"text", tokenizer.Decode(generated)},
                        {"sampling", {{"temperature", sampling.temperature},
                                      {"top_k", sampling.top_k},
                                      {"top_p", sampling.top_p},
                                      {"repetition_penalty", sampling.repetition_penalty},
                                      {"seed", sampling.seed}}},
                        {"prefill_tokens_per_second", prompt.size() / prefill_s},
                        {"decode_tokens_per_second", decode_tps}};
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
    std::fprintf(stderr, "prompt: %zu tokens, %.1f tokens/s; generated: %zu tokens, %.2f tokens/s\n",
                 prompt.size(), prompt.size() / prefill_s, generated.size(), decode_tps);
  }
  return Status::Ok();
}

}  // namespace

void RegisterGenerate(CLI::App& root, Status& result) {
  auto opts = std::make_shared<GenerateOptions>();
  CLI::App* app = root.add_subcommand("generate", "Continue a prompt (sampling settings from generation_config.json unless given)");
  app->add_option("model", opts->model, "Hugging Face folder or GGUF file")->required();
  app->add_option("prompt", opts->prompt, "Prompt text")->required();
  app->add_option("-n,--n-predict", opts->n_predict, "Tokens to generate")->check(CLI::PositiveNumber);
  app->add_option("--temp", opts->sampler.temperature, "Sampling temperature (0 = greedy)")->check(CLI::NonNegativeNumber);
  app->add_option("--top-k", opts->sampler.top_k, "Keep the k most likely tokens (0 = all)")->check(CLI::NonNegativeNumber);
  app->add_option("--top-p", opts->sampler.top_p, "Nucleus sampling mass")->check(CLI::Range(0.0, 1.0));
  app->add_option("--repeat-penalty", opts->sampler.repetition_penalty,
                  "Repetition penalty (1 = none)")->check(CLI::PositiveNumber);
  app->add_option("--seed", opts->sampler.seed, "Sampling seed");
  app->add_flag("--greedy", opts->greedy, "Greedy decoding, ignoring generation_config.json");
  app->add_flag("--allow-long-context", opts->allow_long_context,
                "Allow the prompt + -n past the model's max_position_embeddings (with a warning)");
  app->add_flag("--allow-nonfinite", opts->allow_nonfinite, "Go on when logits are NaN or Inf");
  AddCommonOptions(*app, opts->common);
  app->callback([opts, app, &result] {
    opts->user_sampling = app->count("--temp") + app->count("--top-k") + app->count("--top-p") +
                              app->count("--repeat-penalty") > 0;
    result = RunGenerate(*opts);
  });
}

}  // namespace lieq::cli
