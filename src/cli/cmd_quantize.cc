// lieq quantize MODEL -o OUT (--budget B | --plan PLAN.json | --uniform b): the whole LieQ
// pipeline in one process (src/pipeline/pipeline.h): calibration, diagnostics, plan, GPTQ (or
// RTN, AWQ, AWQ+GPTQ), export to a quantized folder (docs/QUANT_FORMAT.md) or, for OUT.gguf, a
// file llama.cpp runs. This file only parses flags and runs the checks before work.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/preflight.h"
#include "pipeline/output_files.h"
#include "pipeline/pipeline.h"
#include "plan/model_sizes.h"

namespace lieq::cli {
namespace {

struct QuantizeCliOptions {
  PipelineOptions pipeline;
  std::string method = "gptq";
  std::string calib_kernels = "fast";
  bool quiet = false;
  CommonOptions common;
};

// Room for the output: b bits per quantized weight plus FP16 scale and zero per group, the rest
// at its stored width.
uint64_t ExpectedOutputBytes(const Model& model, const BitPlan& plan) {
  const ModelSizes sizes =
      ModelSizesFromConfig(model.config, model.weights.embed.dtype == DType::kF32 ? 32 : 16);
  int64_t other = sizes.embed_params + sizes.head_params + sizes.final_norm_params;
  int64_t bytes = 0;
  for (size_t l = 0; l < sizes.block_linear_params.size(); ++l) {
    bytes += BlockLinearBytes(sizes.block_linear_params[l], plan.bits[l], plan.group_size);
    other += sizes.block_other_params[l];
  }
  return static_cast<uint64_t>(bytes + other * sizes.stored_bits / 8);
}

// Working memory: calibration activations and the two widest Hessians (an estimate for the
// preflight's warning, not a bound).
MemoryNeed QuantizeNeed(const PipelineOptions& p, const ModelConfig& c, uint64_t file_bytes) {
  const int64_t seq = p.calib_seq > 0 ? p.calib_seq : 2048;
  const uint64_t tokens =
      NeedsCalibration(p.method) ? static_cast<uint64_t>(p.calib_samples * seq) : 0;
  // The BF16 residual streams of every window, and one window's float activations in flight.
  const uint64_t activations =
      tokens * static_cast<uint64_t>(c.hidden_size) * 2 +
      (tokens > 0 ? static_cast<uint64_t>(seq) * static_cast<uint64_t>(c.intermediate_size) * 4 * 4
                  : 0);
  const uint64_t widest = static_cast<uint64_t>(std::max(c.hidden_size, c.intermediate_size));
  const uint64_t hessians = NeedsCalibration(p.method) ? 2 * widest * widest * 8 : 0;
  return {file_bytes, activations + hessians,
          "model files " + std::to_string(file_bytes >> 20) + " MiB, calibration activations " +
              std::to_string(activations >> 20) + " MiB, Hessians " +
              std::to_string(hessians >> 20) + " MiB"};
}

Status RunQuantize(QuantizeCliOptions& o) {
  PipelineOptions& p = o.pipeline;
  LIEQ_ASSIGN_OR_RETURN(p.method, ParseQuantMethod(o.method));
  p.fast_calibration = o.calib_kernels == "fast";
  OutputFormat format;
  if (!ResolveOutputFormat(p.format, p.out, &format)) {
    return InvalidArgument("--format must be lieq or gguf, got '" + p.format + "'");
  }
  const bool gguf = format == OutputFormat::kGguf;
  // Checks before work (cli/preflight.h): every path, the calibration text, memory; the model
  // and the plan are checked by the pipeline's hooks below.
  LIEQ_RETURN_IF_ERROR(PreflightModelPath(p.model));
  LIEQ_RETURN_IF_ERROR(gguf ? PreflightOutputFile(p.out, p.force)
                            : PreflightOutputFolder(p.out, p.force));
  if (!p.plan_file.empty()) LIEQ_RETURN_IF_ERROR(PreflightInputFile(p.plan_file, "--plan"));
  if (!p.eval_text.empty()) LIEQ_RETURN_IF_ERROR(PreflightInputFile(p.eval_text, "--eval-text"));
  if (!p.diagnostics_file.empty()) {
    LIEQ_RETURN_IF_ERROR(PreflightInputFile(p.diagnostics_file, "--diagnostics"));
  }
  LIEQ_RETURN_IF_ERROR(CheckCacheOutsideOutput(p.cache_dir, p.out));
  if (!p.calib.empty()) {
    LIEQ_RETURN_IF_ERROR(PreflightCalibration(p.calib, "--calib", p.calib_docs));
  }
  const uint64_t file_bytes = ModelFileBytes(p.model);
  LIEQ_RETURN_IF_ERROR(CheckMemory({file_bytes, 0, "model files"}, "quantize"));
  p.threads = ResolveThreads(o.common);

  PipelineChecks checks;
  checks.after_load = [&p](const Model& model) {
    return CheckNotQuantized(model, p.model, "quantize");
  };
  checks.before_quantize = [&](const Model& model, const BitPlan& plan) -> Status {
    const uint64_t bytes = ExpectedOutputBytes(model, plan);
    LIEQ_RETURN_IF_ERROR(gguf ? PreflightOutputFile(p.out, p.force, bytes)
                              : PreflightOutputFolder(p.out, p.force, bytes));
    return CheckMemory(QuantizeNeed(p, model.config, file_bytes), "quantize");
  };
  Progress progress(stderr, ProgressModeFor(stderr, o.quiet));
  LIEQ_ASSIGN_OR_RETURN(PipelineSummary summary, RunPipeline(p, progress, checks));
  if (o.common.json) {
    std::printf("%s\n", PipelineSummaryToJson(summary).dump(2).c_str());
  } else if (!o.quiet) {
    std::printf("%s", DescribePipelineSummary(summary).c_str());
  }
  return Status::Ok();
}

}  // namespace

void RegisterQuantize(CLI::App& root, Status& result) {
  auto o = std::make_shared<QuantizeCliOptions>();
  PipelineOptions& p = o->pipeline;
  CLI::App* app = root.add_subcommand(
      "quantize",
      "Compress a model with LieQ in one run: calibration, diagnostics, plan, GPTQ, export");
  app->add_option("model", p.model, "Hugging Face folder or GGUF file")->required();
  app->add_option("-o,--output", p.out,
                  "Output: FILE.gguf (llama.cpp) or a folder (lieq's format); the plan, "
                  "diagnostics and summary go next to it")
      ->required();
  app->add_option("--budget", p.budget,
                  "Average bits over block linear weights, e.g. 2.25; plans with the LieQ "
                  "planner (diagnosed in this run)");
  app->add_option("--plan", p.plan_file, "Bit plan JSON (lieq plan) instead of --budget");
  app->add_option("--uniform", p.uniform, "Every block at this width (2, 3, 4, 8)");
  app->add_option("--bits", p.bits,
                  "--budget: candidate widths (default 2,3,4,8 for the optimal rule, else 2,4)");
  app->add_option("--rank-by", p.rank_by,
                  "--budget: kl (default: measured sensitivity) | proxy (both measured here) | "
                  "ppl | combined (need --diagnostics) | random | first-last");
  app->add_option("--rule", p.rule, "--budget: paper | optimal (see lieq plan --help)");
  app->add_option("--diagnostics", p.diagnostics_file,
                  "--budget: diagnostics.json from `lieq diagnose` instead of diagnosing here");
  app->add_option("--method", o->method, "rtn | gptq | awq | awq+gptq (default gptq)");
  app->add_option("--group-size", p.group_size,
                  "Columns per group: 32, 64, 128 (default: the plan's, 128; a group that does "
                  "not fit the model falls back to the largest that does)");
  app->add_flag("--force", p.force, "Replace an existing output that lieq wrote");
  app->add_flag("--allow-nonfinite", p.allow_nonfinite,
                "Quantize even when weights hold NaN or Inf");
  app->add_option("--calib", p.calib,
                  "Calibration text: plain text, JSON lines with \"text\" (C4) or a folder of "
                  "them (default: the built-in text, data/calibration/default.txt)");
  app->add_option("--calib-samples", p.calib_samples, "Calibration windows (default 128)")
      ->check(CLI::PositiveNumber);
  app->add_option("--calib-seq", p.calib_seq,
                  "Tokens per window (default 2048, capped at the model's context)")
      ->check(CLI::PositiveNumber);
  app->add_option("--calib-docs", p.calib_docs,
                  "Use only the first N documents (default 500; the rest are held out)")
      ->check(CLI::PositiveNumber);
  app->add_option("--diagnose-samples", p.diagnose_samples,
                  "--budget: calibration windows of the diagnosis (default 16)")
      ->check(CLI::PositiveNumber);
  app->add_option("--diagnose-seq", p.diagnose_seq,
                  "--budget: tokens per diagnosis window (default 512, capped at the context)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
  app->add_option("--seed", p.seed, "Seed of the calibration windows");
  app->add_flag("--act-order", p.act_order,
                "GPTQ: quantize columns by decreasing Hessian diagonal");
  app->add_option("--calib-kernels", o->calib_kernels,
                  "GPTQ/AWQ calibration passes: exact (float activations) | fast (the BF16 / int8 "
                  "GEMMs of generate's prefill where the CPU has them; activations rounded) "
                  "(default fast)")
      ->check(CLI::IsMember({"exact", "fast"}));
  app->add_option("--damp", p.damp,
                  "GPTQ dampening, fraction of the mean Hessian diagonal (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_flag("--rtn-clip", p.rtn_clip, "RTN: search a clip ratio per group (weight MSE)");
  app->add_option("--awq-grid", p.awq_grid, "AWQ: alpha grid points in [0, 1) (default 20)")
      ->check(CLI::Range(1, 100));
  app->add_option("--format", p.format,
                  "lieq (quantized folder) | gguf (file for llama.cpp); default: gguf when "
                  "-o ends in .gguf, else lieq");
  app->add_option("--embed-type", p.embed_type,
                  "Token embeddings type, e.g. q4_K (gguf default: the head's when tied, else "
                  "q4_K; lieq folder default: kept as is)");
  app->add_option("--head-type", p.head_type,
                  "Output head type, e.g. q6_K (gguf default q6_K; lieq folder default: kept as "
                  "is; a low-bit head speeds up decode)");
  app->add_option("--eval-text", p.eval_text,
                  "Measure perplexity of the FP and the quantized model on this text (GPTQ "
                  "protocol) for the summary and the report");
  app->add_option("--eval-ctx", p.eval_ctx,
                  "--eval-text: tokens per window (default 2048, capped at the context)")
      ->check(CLI::PositiveNumber);
  app->add_option("--eval-chunks", p.eval_chunks, "--eval-text: at most N windows (default all)")
      ->check(CLI::PositiveNumber);
  app->add_option("--cache-dir", p.cache_dir,
                  "Resume cache of every finished block and diagnosis (default: OUT's stem + "
                  ".lieq-cache, removed after a successful run)");
  app->add_flag("--keep-cache", p.keep_cache, "Keep the default resume cache after success");
  app->add_flag("-q,--quiet", o->quiet, "No progress, notes or summary (errors still print)");
  AddCommonOptions(*app, o->common);
  app->callback([o, &result] { result = RunQuantize(*o); });
}

}  // namespace lieq::cli
