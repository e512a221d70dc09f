// lieq quantize MODEL (--plan PLAN.json | --budget B | --uniform b) --method M -o OUT: quantizes
// every block's linear layers at its width with RTN, GPTQ, AWQ or AWQ+GPTQ and writes the
// quantized folder (docs/QUANT_FORMAT.md).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analysis/diagnostics.h"
#include "cli/command.h"
#include "cli/data_paths.h"
#include "cli/preflight.h"
#include "core/atomic_file.h"
#include "io/hf_config.h"
#include "io/model_loader.h"
#include "io/quantized_model.h"
#include "model/finite_weights.h"
#include "plan/bit_plan.h"
#include "plan/model_sizes.h"
#include "plan/plan_scores.h"
#include "plan/planner.h"
#include "quant/calibration.h"
#include "quant/gguf_export.h"
#include "quant/model_quantizer.h"
#include "tokenizer/tokenizer.h"

namespace lieq::cli {
namespace {

struct QuantizeCliOptions {
  std::string model;
  std::string plan;
  std::string budget;
  std::string bits = "2,4";
  std::string rank_by = "proxy";
  std::string rule;  // planner.h's default
  std::string diagnostics;
  int uniform = 0;
  std::string method = "gptq";
  std::string out;
  int group_size = 0;  // 0: the plan's (128 for --uniform)
  bool force = false;
  std::string calib;  // default: DefaultCalibrationFile() (cli/data_paths.h)
  int64_t calib_samples = 128;
  int64_t calib_seq = 0;  // 0: 2048 capped at the model's context
  int64_t calib_docs = 500;
  uint64_t seed = 0;
  bool act_order = false;
  double damp = 0.01;
  bool rtn_clip = false;
  int awq_grid = 20;
  std::string format = "lieq";  // lieq (quantized folder) | gguf (one file llama.cpp runs)
  std::string embed_type;       // --format gguf: token_embd type (default: head's when tied)
  std::string head_type = "q6_K";
  std::string cache_dir;  // resume cache of finished blocks (quant/block_cache.h)
  bool allow_nonfinite = false;
  CommonOptions common;
};

// --budget: the LieQ planner over --bits, blocks ranked by --rank-by (scores from --diagnostics).
Result<BitPlan> PlanForBudget(const QuantizeCliOptions& o, const ModelConfig& config, DType embed) {
  PlanRequest request;
  LIEQ_ASSIGN_OR_RETURN(request.budget, ParseBudget(o.budget));
  LIEQ_ASSIGN_OR_RETURN(request.candidates, ParseBitList(o.bits, "--bits"));
  request.rank_by = o.rank_by;
  request.seed = o.seed;
  request.group_size = o.group_size > 0 ? o.group_size : 128;
  request.block_params =
      ModelSizesFromConfig(config, embed == DType::kF32 ? 32 : 16).block_linear_params;
  request.rule = o.rule;
  if (o.rank_by == "proxy" || o.rank_by == "ppl" || o.rank_by == "combined" || o.rank_by == "kl") {
    if (o.diagnostics.empty()) {
      return InvalidArgument("--budget with --rank-by " + o.rank_by +
                             " needs --diagnostics FILE (from `lieq diagnose`)");
    }
    LIEQ_ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(o.diagnostics));
    LIEQ_ASSIGN_OR_RETURN(DiagnosticsScores scores, DiagnosticsScoresFromJson(j, o.diagnostics));
    LIEQ_RETURN_IF_ERROR(ApplyDiagnosticsScores(scores, o.diagnostics, request));
  }
  LIEQ_ASSIGN_OR_RETURN(BitPlan plan, PlanBits(request));
  plan.model = o.model;
  plan.diagnostics = o.diagnostics;
  return plan;
}

Result<BitPlan> ChoosePlan(const QuantizeCliOptions& o, const Model& model) {
  const ModelConfig& config = model.config;
  const int given = (!o.plan.empty()) + (!o.budget.empty()) + (o.uniform > 0);
  if (given != 1) return InvalidArgument("give exactly one of --plan, --budget, --uniform");
  BitPlan plan;
  if (!o.budget.empty()) {
    LIEQ_ASSIGN_OR_RETURN(plan, PlanForBudget(o, config, model.weights.embed.dtype));
  } else if (o.uniform > 0) {
    plan = UniformBitPlan(config, o.uniform, o.group_size > 0 ? o.group_size : 128);
  } else {
    LIEQ_ASSIGN_OR_RETURN(plan, ReadBitPlan(o.plan));
    if (o.group_size > 0) plan.group_size = o.group_size;
  }
  Status valid = ValidateBitPlan(plan, config);
  if (!valid.ok())
    return valid.WithContext(!o.plan.empty() ? o.plan : o.uniform > 0 ? "--uniform" : "--budget");
  for (size_t l = 0; l < plan.bits.size(); ++l) {
    const int b = plan.bits[l];
    if (b != 2 && b != 3 && b != 4 && b != 8) {
      return InvalidArgument((o.plan.empty() ? std::string("--uniform") : o.plan) + ": bits[" +
                             std::to_string(l) + "] = " + std::to_string(b) +
                             " is not a supported width (2, 3, 4, 8)");
    }
  }
  return plan;
}

Status RunQuantize(const QuantizeCliOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  LIEQ_ASSIGN_OR_RETURN(QuantMethod method, ParseQuantMethod(o.method));
  if (o.format != "lieq" && o.format != "gguf") {
    return InvalidArgument("--format must be lieq or gguf, got '" + o.format + "'");
  }
  if (o.format == "gguf" && method != QuantMethod::kRtn && method != QuantMethod::kGptq) {
    return Unimplemented("--format gguf supports --method rtn and gptq, not " + o.method);
  }
  // Checks before work (cli/preflight.h): every path, the calibration text, memory, then the
  // model against the plan, the group size and the output format.
  LIEQ_RETURN_IF_ERROR(PreflightModelPath(o.model));
  if (o.format == "gguf") {
    LIEQ_RETURN_IF_ERROR(PreflightOutputFile(o.out, o.force));
  } else {
    LIEQ_RETURN_IF_ERROR(PreflightOutputFolder(o.out, o.force));
  }
  if (!o.plan.empty()) LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.plan, "--plan"));
  if (!o.diagnostics.empty()) {
    LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.diagnostics, "--diagnostics"));
  }
  LIEQ_RETURN_IF_ERROR(CheckCacheOutsideOutput(o.cache_dir, o.out));
  const std::string calib_file = o.calib.empty() ? DefaultCalibrationFile() : o.calib;
  if (NeedsCalibration(method)) {
    LIEQ_RETURN_IF_ERROR(
        PreflightCalibration(calib_file, "--calib", o.calib_docs,
                             o.calib.empty() ? SharedDataHint("--calib FILE") : ""));
  }
  const uint64_t file_bytes = ModelFileBytes(o.model);
  LIEQ_RETURN_IF_ERROR(CheckMemory({file_bytes, 0, "model files"}, "quantize"));
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  LIEQ_RETURN_IF_ERROR(CheckNotQuantized(model, o.model, "quantize"));
  LIEQ_ASSIGN_OR_RETURN(BitPlan plan, ChoosePlan(o, model));
  if (o.format == "lieq") {
    LIEQ_RETURN_IF_ERROR(CheckGroupSize(
        model, plan.group_size, o.group_size > 0 ? "--group-size" : "the plan's group_size"));
  }
  {  // Room for the output: b bits per quantized weight plus FP16 scale and zero per group.
    uint64_t bytes = 0;
    ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
      const auto n = static_cast<uint64_t>(slot.view->NumElements());
      const int bits = slot.block >= 0 ? plan.bits[static_cast<size_t>(slot.block)] : 0;
      bytes += slot.is_linear && bits > 0
                   ? n * static_cast<uint64_t>(bits) / 8 + n / static_cast<uint64_t>(plan.group_size) * 4
                   : static_cast<uint64_t>(slot.view->SizeBytes());
    });
    LIEQ_RETURN_IF_ERROR(o.format == "gguf" ? PreflightOutputFile(o.out, o.force, bytes)
                                            : PreflightOutputFolder(o.out, o.force, bytes));
  }
  {
    const ModelConfig& c = model.config;
    const int64_t seq = o.calib_seq > 0 ? o.calib_seq : 2048;
    const uint64_t tokens =
        NeedsCalibration(method) ? static_cast<uint64_t>(o.calib_samples * seq) : 0;
    const uint64_t activations = 2 * tokens * static_cast<uint64_t>(c.hidden_size) * 4;
    const uint64_t widest = static_cast<uint64_t>(std::max(c.hidden_size, c.intermediate_size));
    const uint64_t hessians = NeedsCalibration(method) ? 2 * widest * widest * 8 : 0;
    MemoryNeed need{file_bytes, activations + hessians,
                    "model files " + std::to_string(file_bytes >> 20) +
                        " MiB, calibration "
                        "activations " +
                        std::to_string(activations >> 20) + " MiB, Hessians " +
                        std::to_string(hessians >> 20) + " MiB"};
    LIEQ_RETURN_IF_ERROR(CheckMemory(need, "quantize"));
  }
  const int threads = ResolveThreads(o.common);
  ThreadPool pool(threads);
  if (!o.allow_nonfinite) {
    LIEQ_RETURN_IF_ERROR(CheckFiniteWeights(model, pool).WithContext(o.model));
  }

  QuantizeOptions options;
  options.method = method;
  options.bits = plan.bits;
  options.group_size = plan.group_size;
  options.rtn_clip.search = o.rtn_clip;
  options.gptq.damp = o.damp;
  options.gptq.act_order = o.act_order;
  options.awq.grid = o.awq_grid;
  nlohmann::json details = {{"plan", !o.plan.empty()     ? o.plan
                                     : !o.budget.empty() ? "budget " + o.budget
                                                         : "uniform"},
                            {"rank_by", plan.rank_by}};
  if (method == QuantMethod::kRtn) details["rtn_clip_search"] = o.rtn_clip;
  if (NeedsCalibration(method)) {
    CalibrationOptions calib;
    calib.file = calib_file;
    calib.samples = o.calib_samples;
    calib.num_docs = o.calib_docs;
    calib.seed = o.seed;
    const int64_t context = model.config.max_position_embeddings;
    calib.seq_len =
        o.calib_seq > 0 ? o.calib_seq : (context > 0 ? std::min<int64_t>(2048, context) : 2048);
    if (context > 0 && calib.seq_len > context) {
      return InvalidArgument("--calib-seq " + std::to_string(calib.seq_len) +
                             " exceeds the model's context of " + std::to_string(context) +
                             " tokens");
    }
    if (!model.tokenizer)
      return InvalidArgument(o.model + ": calibration needs the model's tokenizer");
    LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
    LIEQ_ASSIGN_OR_RETURN(options.calibration, SampleCalibrationWindows(tokenizer, calib));
    details["calibration"] = {{"file", calib_file},
                              {"documents", o.calib_docs},
                              {"samples", calib.samples},
                              {"seq_len", calib.seq_len},
                              {"seed", o.seed}};
    std::fprintf(stderr,
                 "calibration: %lld windows x %lld tokens from the first %lld documents of %s\n",
                 static_cast<long long>(calib.samples), static_cast<long long>(calib.seq_len),
                 static_cast<long long>(o.calib_docs), calib_file.c_str());
  }
  if (method == QuantMethod::kGptq || method == QuantMethod::kAwqGptq) {
    details["gptq"] = {
        {"damp", o.damp}, {"act_order", o.act_order}, {"block_size", options.gptq.block_size}};
  }
  if (method == QuantMethod::kAwq || method == QuantMethod::kAwqGptq)
    details["awq"] = {{"grid", o.awq_grid}};

  const auto num_blocks = model.config.num_layers;
  nlohmann::json blocks = nlohmann::json::array();
  options.progress = [&](const BlockReport& r) {
    if (r.cached) {
      std::fprintf(stderr, "block %2d of %lld: %d bits, cached (calib %.2f s)\n", r.block,
                   static_cast<long long>(num_blocks), r.bits, r.calib_seconds);
      blocks.push_back({{"block", r.block}, {"bits", r.bits}, {"cached", true},
                        {"calib_seconds", r.calib_seconds}, {"quant_seconds", 0.0}});
      return;
    }
    std::fprintf(stderr, "block %2d of %lld: %d bits, %s: calib %.2f s, quantize %.2f s", r.block,
                 static_cast<long long>(num_blocks), r.bits, QuantMethodName(method),
                 r.calib_seconds, r.quant_seconds);
    if (r.awq_alpha_attn >= 0) {
      std::fprintf(stderr, " (awq alpha attn %.2f, mlp %.2f)", r.awq_alpha_attn, r.awq_alpha_mlp);
    }
    std::fprintf(stderr, "\n");
    blocks.push_back({{"block", r.block},
                      {"bits", r.bits},
                      {"calib_seconds", r.calib_seconds},
                      {"quant_seconds", r.quant_seconds}});
  };
  if (o.format == "gguf") {  // GPTQ/RTN in llama.cpp's own grids (quant/gguf_export.h)
    GgufExportOptions gguf;
    LIEQ_ASSIGN_OR_RETURN(gguf.head_type, ParseGgufTensorType(o.head_type, "--head-type"));
    if (!o.embed_type.empty()) {
      LIEQ_ASSIGN_OR_RETURN(gguf.embed_type, ParseGgufTensorType(o.embed_type, "--embed-type"));
    }
    gguf.write.overwrite = o.force;
    LIEQ_ASSIGN_OR_RETURN(GgufExportReport report, ExportGguf(model, options, gguf, o.out, pool));
    std::printf("%s", DescribeGgufExport(report, o.out).c_str());
    return Status::Ok();
  }
  if (!o.cache_dir.empty()) {
    options.cache_dir = o.cache_dir;
    options.cache_salt = HfConfigJson(model.config, "") + "\n" + details.dump();
    options.warn = [](const std::string& m) { std::fprintf(stderr, "warning: %s\n", m.c_str()); };
  }
  const auto quant_start = std::chrono::steady_clock::now();
  LIEQ_ASSIGN_OR_RETURN(PackedBlocks packed, QuantizeModel(model, options, pool));
  const double quant_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - quant_start).count();

  QuantizationConfig qc;
  qc.method = QuantMethodName(method);
  qc.bits = plan.bits;
  qc.group_size = plan.group_size;
  qc.details = details;
  LIEQ_RETURN_IF_ERROR(WriteQuantizedModel(model, packed, qc, o.out, o.force));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double avg_bits = 0;
  for (int b : plan.bits) avg_bits += b;
  avg_bits /= static_cast<double>(plan.bits.size());
  if (o.common.json) {
    nlohmann::json j = {{"model", o.model},
                        {"out", o.out},
                        {"method", qc.method},
                        {"bits", plan.bits},
                        {"group_size", plan.group_size},
                        {"avg_block_bits", avg_bits},
                        {"quantize_seconds", quant_seconds},
                        {"total_seconds", seconds},
                        {"threads", threads},
                        {"blocks", blocks}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf(
        "wrote %s: %s, %.3f bits per block on average, group %d, quantized in %.1f s (%.1f s "
        "total)\n",
        o.out.c_str(), qc.method.c_str(), avg_bits, plan.group_size, quant_seconds, seconds);
  }
  return Status::Ok();
}

}  // namespace

void RegisterQuantize(CLI::App& root, Status& result) {
  auto o = std::make_shared<QuantizeCliOptions>();
  CLI::App* app = root.add_subcommand("quantize", "Quantize a model at one bit-width per block");
  app->add_option("model", o->model, "Hugging Face folder or GGUF file")->required();
  app->add_option("--plan", o->plan, "Bit plan JSON (lieq plan)");
  app->add_option("--budget", o->budget,
                  "Average bits over block linear weights; plans with the LieQ planner");
  app->add_option("--bits", o->bits, "--budget: candidate widths (default 2,4)");
  app->add_option("--rank-by", o->rank_by,
                  "--budget: proxy | ppl | combined | kl (need --diagnostics) | random | "
                  "first-last");
  app->add_option("--rule", o->rule, "--budget: paper | optimal (see lieq plan --help)");
  app->add_option("--diagnostics", o->diagnostics,
                  "--budget: diagnostics.json from `lieq diagnose`");
  app->add_option("--uniform", o->uniform, "Every block at this width (2, 3, 4, 8)");
  app->add_option("--method", o->method, "rtn | gptq | awq | awq+gptq (default gptq)");
  app->add_option("-o,--output", o->out, "Output folder")->required();
  app->add_option("--group-size", o->group_size,
                  "Columns per group: 32, 64, 128 (default: the plan's, 128)");
  app->add_flag("--force", o->force, "Replace an existing output that lieq wrote");
  app->add_flag("--allow-nonfinite", o->allow_nonfinite,
                "Quantize even when weights hold NaN or Inf");
  app->add_option("--calib", o->calib,
                  "Calibration text: JSON lines with \"text\" (C4), a plain text file or a folder "
                  "of them (default: $LIEQ_SHARED_DIR/data/calib/c4-train-00000-head1000.jsonl)");
  app->add_option("--calib-samples", o->calib_samples, "Calibration windows (default 128)")
      ->check(CLI::PositiveNumber);
  app->add_option("--calib-seq", o->calib_seq,
                  "Tokens per window (default 2048, capped at the model's context)")
      ->check(CLI::PositiveNumber);
  app->add_option("--calib-docs", o->calib_docs,
                  "Use only the first N documents (default 500; the rest are held out)")
      ->check(CLI::PositiveNumber);
  app->add_option("--seed", o->seed, "Seed of the calibration windows");
  app->add_flag("--act-order", o->act_order,
                "GPTQ: quantize columns by decreasing Hessian diagonal");
  app->add_option("--damp", o->damp,
                  "GPTQ dampening, fraction of the mean Hessian diagonal (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_flag("--rtn-clip", o->rtn_clip, "RTN: search a clip ratio per group (weight MSE)");
  app->add_option("--awq-grid", o->awq_grid, "AWQ: alpha grid points in [0, 1) (default 20)")
      ->check(CLI::Range(1, 100));
  app->add_option("--format", o->format,
                  "lieq (quantized folder, default) | gguf (file for llama.cpp)");
  app->add_option(
      "--embed-type", o->embed_type,
      "--format gguf: token_embd type, e.g. q4_K (default: the head's when tied, else q4_K)");
  app->add_option("--head-type", o->head_type, "--format gguf: output head type (default q6_K)");
  app->add_option("--cache-dir", o->cache_dir,
                  "Keep each finished block here; a rerun with the same inputs resumes from it");
  AddCommonOptions(*app, o->common);
  app->callback([o, &result] { result = RunQuantize(*o); });
}

}  // namespace lieq::cli
