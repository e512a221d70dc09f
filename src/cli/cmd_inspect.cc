// lieq inspect MODEL: architecture, shapes, parameters per block and in total, dtypes, size.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "io/model_loader.h"
#include "kernels/simd_targets.h"

namespace lieq::cli {
namespace {

struct InspectOptions {
  std::string model;
  CommonOptions common;
};

Status RunInspect(const InspectOptions& o) {
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  const ModelConfig& c = model.config;
  std::vector<int64_t> block_params(static_cast<size_t>(c.num_layers), 0);
  int64_t total = 0, embed = 0, head = 0, linear = 0;
  std::map<std::string, int64_t> dtype_params;
  // Storage of each block's linear weights: a GGUF type, a float type, or the lieq group
  // format ("int2/g128"), which is packed (the view then carries only the shape).
  std::vector<std::string> block_types(static_cast<size_t>(c.num_layers));
  ForEachTensor(c, model.weights, [&](TensorSlot& slot) {
    const int64_t n = slot.view->NumElements();
    total += n;
    if (slot.block >= 0) block_params[static_cast<size_t>(slot.block)] += n;
    if (slot.is_linear) linear += n;
    if (slot.view == &model.weights.embed) embed = n;
    if (slot.view == &model.weights.lm_head) head = n;
    std::string type(Name(slot.view->dtype));
    if (slot.is_linear && slot.block >= 0) {
      const BlockWeights& block = model.weights.blocks[static_cast<size_t>(slot.block)];
      for (Projection p : kAllProjections) {
        const Linear& l = block.linear(p);
        if (&l.w == slot.view && l.is_packed()) {
          type = "int" + std::to_string(l.packed.bits) + "/g" + std::to_string(l.packed.group_size);
        }
      }
      std::string& seen = block_types[static_cast<size_t>(slot.block)];
      if (("+" + seen + "+").find("+" + type + "+") == std::string::npos) {
        seen += (seen.empty() ? "" : "+") + type;
      }
    }
    dtype_params[type] += n;
  });
  uint64_t file_bytes = 0;
  for (const auto& f : model.files) file_bytes += f->size();

  nlohmann::json j;
  j["path"] = o.model;
  j["format"] = model.source_format;
  j["architecture"] = std::string(ArchName(c.arch));
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_layers"] = c.num_layers;
  j["num_heads"] = c.num_heads;
  j["num_kv_heads"] = c.num_kv_heads;
  j["head_dim"] = c.head_dim;
  j["rope_theta"] = c.rope_theta;
  j["rope_scaling"] = c.rope_scaling.type == RopeScaling::Type::kLlama3   ? "llama3"
                      : c.rope_scaling.type == RopeScaling::Type::kLinear ? "linear"
                                                                          : "none";
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["qkv_bias"] = c.qkv_bias;
  j["qk_norm"] = c.qk_norm;
  j["parameters"] = {{"total", total},
                     {"embedding", embed},
                     {"output_head", head},
                     {"block_linear", linear},
                     {"per_block", block_params}};
  j["dtypes"] = dtype_params;
  j["block_weight_types"] = block_types;
  j["file_bytes"] = file_bytes;
  j["tokenizer"] = model.tokenizer ? nlohmann::json{{"tokens", model.tokenizer->tokens.size()},
                                                    {"pre", model.tokenizer->pre}}
                                   : nlohmann::json(nullptr);
  j["runtime"] = ToJson(MakeSimdReport());  // what this CPU will run the model with
  if (o.common.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return Status::Ok();
  }
  std::printf("model         %s (%s)\n", o.model.c_str(), model.source_format.c_str());
  std::printf("architecture  %s\n", std::string(ArchName(c.arch)).c_str());
  std::printf("shape         d=%lld ff=%lld blocks=%lld heads=%lld kv_heads=%lld head_dim=%lld vocab=%lld\n",
              (long long)c.hidden_size, (long long)c.intermediate_size, (long long)c.num_layers,
              (long long)c.num_heads, (long long)c.num_kv_heads, (long long)c.head_dim,
              (long long)c.vocab_size);
  std::printf("rope          theta=%g scaling=%s\n", c.rope_theta, j["rope_scaling"].get<std::string>().c_str());
  std::printf("features      tied_embeddings=%d qkv_bias=%d qk_norm=%d\n", c.tie_word_embeddings,
              c.qkv_bias, c.qk_norm);
  std::printf("parameters    %.3f M total, %.3f M in block linear layers, %.3f M embedding, %.3f M head%s\n",
              total / 1e6, linear / 1e6, embed / 1e6, head / 1e6, c.tie_word_embeddings ? " (tied)" : "");
  std::printf("per block     %.3f M each", block_params.empty() ? 0.0 : block_params[0] / 1e6);
  bool uniform = true;
  for (int64_t p : block_params) uniform &= p == block_params[0];
  std::printf("%s\n", uniform ? "" : " (varies; see --json)");
  std::printf("dtypes       ");
  for (const auto& [name, n] : dtype_params) std::printf(" %s: %.3f M", name.c_str(), n / 1e6);
  std::printf("\nblock types  ");
  for (size_t l = 0; l < block_types.size(); ++l) {
    if (l > 0 && block_types[l] == block_types[l - 1]) continue;
    size_t last = l;
    while (last + 1 < block_types.size() && block_types[last + 1] == block_types[l]) ++last;
    if (last == l) {
      std::printf(" %zu: %s", l, block_types[l].c_str());
    } else {
      std::printf(" %zu-%zu: %s", l, last, block_types[l].c_str());
    }
  }
  std::printf("\nfile size     %.1f MB\n", file_bytes / 1e6);
  if (model.tokenizer) {
    std::printf("tokenizer     %zu tokens, pre-tokenizer %s\n", model.tokenizer->tokens.size(),
                model.tokenizer->pre.c_str());
  } else {
    std::printf("tokenizer     none\n");
  }
  return Status::Ok();
}

}  // namespace

void RegisterInspect(CLI::App& root, Status& result) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* app = root.add_subcommand("inspect", "Show a model's architecture, shapes, parameters and file size");
  app->add_option("model", opts->model, "Hugging Face folder or GGUF file")->required();
  AddCommonOptions(*app, opts->common);
  app->callback([opts, &result] { result = RunInspect(*opts); });
}

}  // namespace lieq::cli
