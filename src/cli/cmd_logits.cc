// lieq logits MODEL (--text T | --tokens 1,2,3) -o OUT.f32: raw float32 logits
// [n_tokens × vocab] of one forward pass, for comparisons with llama.cpp and PyTorch.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.h"
#include "cli/preflight.h"
#include "core/atomic_file.h"
#include "core/finite.h"
#include "io/model_loader.h"
#include "runtime/transformer.h"
#include "tokenizer/tokenizer.h"

namespace lieq::cli {
namespace {

struct LogitsOptions {
  std::string model;
  std::string text;
  std::string tokens;
  std::string out;
  bool force = false;
  bool allow_nonfinite = false;
  bool allow_long_context = false;
  CommonOptions common;
};

Result<std::vector<int32_t>> ParseTokenList(const std::string& list) {
  std::vector<int32_t> ids;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0 || v > INT32_MAX) {
      return InvalidArgument("--tokens: '" + item + "' is not a token id");
    }
    ids.push_back(static_cast<int32_t>(v));
  }
  if (ids.empty()) return InvalidArgument("--tokens is empty");
  return ids;
}

Status RunLogits(const LogitsOptions& o) {
  // Checks before work (cli/preflight.h).
  LIEQ_RETURN_IF_ERROR(PreflightModelPath(o.model));
  if (!o.out.empty()) LIEQ_RETURN_IF_ERROR(PreflightOutputFile(o.out, o.force));
  const uint64_t file_bytes = ModelFileBytes(o.model);
  LIEQ_RETURN_IF_ERROR(CheckMemory({file_bytes, 0, "model files"}, "logits"));
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  std::vector<int32_t> ids;
  if (!o.tokens.empty()) {
    LIEQ_ASSIGN_OR_RETURN(ids, ParseTokenList(o.tokens));
  } else {
    if (!model.tokenizer) return InvalidArgument(o.model + ": the model has no tokenizer; use --tokens");
    LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
    LIEQ_ASSIGN_OR_RETURN(ids, tokenizer.Encode(o.text, true));
  }
  const ModelConfig& c = model.config;
  const auto n = static_cast<int64_t>(ids.size());
  LIEQ_RETURN_IF_ERROR(ResolveContext(n, n, c, "the input length", o.allow_long_context).status());
  MemoryNeed need = RuntimeNeed(c, n, n);
  need.mapped = file_bytes;
  LIEQ_RETURN_IF_ERROR(CheckMemory(need, "logits"));
  if (!o.out.empty()) {
    LIEQ_RETURN_IF_ERROR(
        PreflightOutputFile(o.out, o.force, static_cast<uint64_t>(n * c.vocab_size) * 4));
  }
  ThreadPool pool(ResolveThreads(o.common));
  Transformer transformer(model, pool);
  KvCache cache(c, n);
  std::vector<float> hidden(static_cast<size_t>(n * c.hidden_size));
  std::vector<float> logits(static_cast<size_t>(n * c.vocab_size));
  LIEQ_RETURN_IF_ERROR(transformer.Forward(ids, cache, hidden.data()));
  transformer.Logits(hidden.data(), n, logits.data());
  if (const int64_t bad = FirstNonFinite(logits); bad >= 0 && !o.allow_nonfinite) {
    return DataLoss(
        "position " + std::to_string(bad / c.vocab_size) + ": logit of token id " +
        std::to_string(bad % c.vocab_size) + " is " +
        NonFiniteName(DType::kF32, reinterpret_cast<const std::byte*>(logits.data()), bad) +
        "; the model's weights or activations hold NaN/Inf (--allow-nonfinite "
        "writes them anyway)");
  }
  if (!o.out.empty()) {
    LIEQ_RETURN_IF_ERROR(WriteFileAtomically(o.out, {o.force}, [&](std::FILE* f) -> Status {
      if (std::fwrite(logits.data(), sizeof(float), logits.size(), f) != logits.size()) {
        return IoError(o.out + ": short write");
      }
      return Status::Ok();
    }));
  }
  nlohmann::json j = {{"tokens", ids}, {"n_tokens", n}, {"n_vocab", c.vocab_size}};
  std::vector<int32_t> argmax;
  for (int64_t t = 0; t < n; ++t) {
    const float* row = logits.data() + t * c.vocab_size;
    argmax.push_back(static_cast<int32_t>(std::max_element(row, row + c.vocab_size) - row));
  }
  j["argmax"] = argmax;
  std::printf("%s\n", j.dump(o.common.json ? 2 : -1).c_str());
  return Status::Ok();
}

}  // namespace

void RegisterLogits(CLI::App& root, Status& result) {
  auto opts = std::make_shared<LogitsOptions>();
  CLI::App* app = root.add_subcommand("logits", "Dump the logits of one forward pass (float32)");
  app->add_option("model", opts->model, "Hugging Face folder or GGUF file")->required();
  auto* text = app->add_option("--text", opts->text, "Prompt text");
  auto* tokens = app->add_option("--tokens", opts->tokens, "Comma-separated token ids");
  text->excludes(tokens);
  app->add_option("-o,--out", opts->out, "Raw float32 [n_tokens x vocab] output file");
  app->add_flag("--force", opts->force, "Overwrite an existing file (a regular file only)");
  app->add_flag("--allow-long-context", opts->allow_long_context,
                "Allow more tokens than the model's max_position_embeddings (with a warning)");
  app->add_flag("--allow-nonfinite", opts->allow_nonfinite, "Write NaN or Inf logits too");
  AddCommonOptions(*app, opts->common);
  app->callback([opts, &result] { result = RunLogits(*opts); });
}

}  // namespace lieq::cli
