// lieq plan (--diagnostics FILE | MODEL [--calib FILE]) --budget B: one bit-width per block
// (a BitPlan JSON) by LieQ's allocation rule (src/plan/planner.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "analysis/diagnostics.h"
#include "analysis/run_diagnostics.h"
#include "cli/command.h"
#include "cli/preflight.h"
#include "core/atomic_file.h"
#include "io/model_loader.h"
#include "pipeline/calibration_source.h"
#include "plan/bit_plan.h"
#include "plan/model_sizes.h"
#include "plan/plan_scores.h"
#include "plan/planner.h"
#include "quant/block_quantizer.h"

namespace lieq::cli {
namespace {

struct PlanCliOptions {
  std::string model;
  std::string diagnostics;
  std::string budget;
  std::string bits;     // default: 2,4 for the paper rule, 2,3,4,8 for the optimal one
  std::string rank_by;  // empty: DefaultRankBy (measured sensitivity; docs/RESULTS.md)
  std::string sensitivity_method = "gptq";  // the back-end the KL is measured with
  std::string rule;  // default: planner.h's (optimal for kl or 3+ widths, else paper)
  uint64_t seed = 0;
  int group_size = 128;
  DiagnoseSettings diagnose;  // when planning from MODEL with a score rule
  std::string aggregate = "projection";
  std::string output;
  bool force = false;
  CommonOptions common;
};

Status RunPlan(const PlanCliOptions& given) {
  PlanCliOptions o = given;
  // Cheap checks first, before any model is loaded or diagnosed.
  LIEQ_ASSIGN_OR_RETURN(const double budget, ParseBudget(o.budget));
  if (!o.rank_by.empty() &&
      std::find_if(std::begin(kRankByNames), std::end(kRankByNames),
                   [&](const char* name) { return o.rank_by == name; }) == std::end(kRankByNames)) {
    return InvalidArgument("--rank-by '" + o.rank_by +
                           "' is unknown (proxy, ppl, combined, kl, random, first-last)");
  }
  if (!o.rule.empty() && o.rule != "paper" && o.rule != "optimal") {
    return InvalidArgument("--rule '" + o.rule + "' is unknown (paper, optimal)");
  }
  if (o.sensitivity_method != "gptq" && o.sensitivity_method != "rtn") {
    return InvalidArgument("--sensitivity-method '" + o.sensitivity_method +
                           "' is unknown (gptq, rtn)");
  }
  if (o.model.empty() == o.diagnostics.empty()) {
    return InvalidArgument("give either MODEL or --diagnostics FILE (exactly one)");
  }
  std::optional<nlohmann::json> diagnostics_json;
  std::optional<DiagnosticsScores> file_scores;
  if (!o.diagnostics.empty()) {
    LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.diagnostics, "--diagnostics"));
    LIEQ_ASSIGN_OR_RETURN(diagnostics_json, ReadJsonFile(o.diagnostics));
    LIEQ_ASSIGN_OR_RETURN(file_scores, DiagnosticsScoresFromJson(*diagnostics_json, o.diagnostics));
  }
  if (o.rank_by.empty()) {
    std::string note;
    o.rank_by = DefaultRankBy(file_scores ? &*file_scores : nullptr, o.diagnostics, &note);
    if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  }
  const std::string widths = !o.bits.empty() ? o.bits : DefaultCandidateWidths(o.rank_by, o.rule);
  LIEQ_ASSIGN_OR_RETURN(const std::vector<int> candidates, ParseBitList(widths, "--bits"));
  const bool needs_scores =
      o.rank_by == "proxy" || o.rank_by == "ppl" || o.rank_by == "combined" || o.rank_by == "kl";
  // Every input and output before the work (cli/preflight.h).
  if (!o.output.empty()) LIEQ_RETURN_IF_ERROR(PreflightOutputFile(o.output, o.force));
  if (o.diagnostics.empty()) {
    LIEQ_RETURN_IF_ERROR(PreflightModelPath(o.model));
    if (needs_scores) {
      if ((o.rank_by == "ppl" || o.rank_by == "combined") && o.diagnose.eval_text.empty()) {
        return InvalidArgument("--rank-by " + o.rank_by + " from MODEL needs --eval-text FILE");
      }
      if (!o.diagnose.calib.empty()) {
        LIEQ_RETURN_IF_ERROR(PreflightCalibration(o.diagnose.calib, "--calib", 0));
      }
      if (!o.diagnose.eval_text.empty()) {
        LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.diagnose.eval_text, "--eval-text"));
      }
    }
  }

  PlanRequest request;
  request.candidates = candidates;
  request.budget = budget;
  request.rank_by = o.rank_by;
  request.rule = o.rule;
  request.seed = o.seed;
  request.group_size = o.group_size;
  ModelSizes sizes;
  std::string model_name, diagnostics_name, calibration;
  std::optional<ModelConfig> config;
  if (file_scores) {
    const nlohmann::json& j = *diagnostics_json;
    const DiagnosticsScores& scores = *file_scores;
    if (!j.contains("sizes")) return InvalidArgument(o.diagnostics + ": no \"sizes\" object");
    LIEQ_ASSIGN_OR_RETURN(sizes, ModelSizesFromJson(j["sizes"], o.diagnostics));
    LIEQ_RETURN_IF_ERROR(ApplyDiagnosticsScores(scores, o.diagnostics, request));
    model_name = scores.model;
    diagnostics_name = o.diagnostics;
  } else {
    LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
    sizes = ModelSizesFromConfig(model.config, model.weights.embed.dtype == DType::kF32 ? 32 : 16);
    config = model.config;
    model_name = o.model;
    if (needs_scores) {
      // No --calib: the built-in text (pipeline/calibration_source.h).
      LIEQ_ASSIGN_OR_RETURN(const CalibrationSource source,
                            ResolveCalibrationSourceInTemp(o.diagnose.calib));
      calibration = source.name;
      DiagnoseSettings settings = o.diagnose;
      settings.calib = source.path;
      settings.model = o.model;
      settings.seed = o.seed;
      if (settings.eval_ctx == 0) settings.eval_ctx = settings.seq;
      LIEQ_ASSIGN_OR_RETURN(settings.aggregate, AggregateFromName(o.aggregate));
      ThreadPool pool(ResolveThreads(o.common));
      std::optional<SensitivityRequest> sensitivity;
      if (o.rank_by == "kl") {  // KL with only block l at each candidate width
        settings.sensitivity_bits = widths;
        LIEQ_ASSIGN_OR_RETURN(
            sensitivity, MakeSensitivityRequest(model, o.sensitivity_method, o.group_size, pool));
      }
      LIEQ_ASSIGN_OR_RETURN(Diagnostics d, RunDiagnostics(model, settings, pool, stderr,
                                                          sensitivity ? &*sensitivity : nullptr));
      LIEQ_RETURN_IF_ERROR(ApplyDiagnosticsScores(DiagnosticsScoresOf(d), o.model, request));
    }
  }
  request.block_params = sizes.block_linear_params;
  LIEQ_ASSIGN_OR_RETURN(BitPlan plan, PlanBits(request));
  plan.model = model_name;
  plan.diagnostics = diagnostics_name;
  plan.calibration = calibration;
  if (config) {  // a group that does not fit the shapes falls back, as in `lieq quantize`
    const int fitted = FitGroupSize(*config, plan.group_size);
    if (fitted != 0 && fitted != plan.group_size) {
      std::fprintf(stderr,
                   "note: group size %d does not divide every linear layer's input "
                   "dimension; using group size %d\n",
                   plan.group_size, fitted);
      plan.group_size_requested = plan.group_size;
      plan.group_size = fitted;
    }
  }
  plan.avg_bits_file = AverageBitsFile(sizes, plan.bits, plan.group_size);
  if (config) LIEQ_RETURN_IF_ERROR(ValidateBitPlan(plan, *config).WithContext(o.model));

  if (std::abs(plan.avg_bits_linear - budget) > 1e-9) {
    std::fprintf(stderr,
                 "note: --budget %g cannot be met exactly with these block sizes; the plan uses "
                 "%.4f bits, the most that stays within it\n",
                 budget, plan.avg_bits_linear);
  }
  if (!o.output.empty()) LIEQ_RETURN_IF_ERROR(WriteBitPlan(plan, o.output, o.force));
  if (o.common.json) {
    std::printf("%s\n", BitPlanToJson(plan).dump(2).c_str());
  } else {
    std::printf("bits per block:");
    for (int b : plan.bits) std::printf(" %d", b);
    std::printf(
        "\nbudget %.4g -> %.4f bits over block linear weights, %.4f over the whole file "
        "(group %d, FP16 scale+zero per group)\n",
        budget, plan.avg_bits_linear, plan.avg_bits_file, plan.group_size);
    std::printf("signal %s, rule %s%s%s\n", plan.rank_by.c_str(), plan.rule.c_str(),
                plan.cost.empty() ? "" : ", cost ", plan.cost.c_str());
    if (!o.output.empty()) std::printf("wrote %s\n", o.output.c_str());
  }
  return Status::Ok();
}

}  // namespace

void RegisterPlan(CLI::App& root, Status& result) {
  auto opts = std::make_shared<PlanCliOptions>();
  CLI::App* app = root.add_subcommand(
      "plan", "One bit-width per block under an average-bits budget (writes a BitPlan JSON)");
  app->add_option("model", opts->model,
                  "Model folder or GGUF (diagnosed on the fly; or use --diagnostics)");
  app->add_option("--diagnostics", opts->diagnostics, "diagnostics.json from `lieq diagnose`");
  app->add_option("--budget", opts->budget,
                  "Average bits per block linear weight, between the lowest and highest --bits")
      ->required();
  app->add_option("--bits", opts->bits,
                  "Candidate widths, comma-separated (default 2,4; 2,3,4,8 with --rule optimal "
                  "or --rank-by kl)");
  app->add_option("--rank-by", opts->rank_by,
                  "kl (default: measured sensitivity, KL with one block quantized at each "
                  "width) | proxy | ppl | combined | random | first-last");
  app->add_option("--rule", opts->rule,
                  "paper (two widths, top blocks to the high one) | optimal (exact knapsack over "
                  "the blocks' bytes); default: optimal for kl or 3+ widths, else paper");
  app->add_option("--seed", opts->seed, "Seed for --rank-by random (and calibration)");
  app->add_option("--group-size", opts->group_size, "Quantization group size (32, 64, 128)");
  app->add_option("--calib", opts->diagnose.calib,
                  "Calibration text (planning from MODEL; default: the built-in text)");
  app->add_option("--samples", opts->diagnose.samples, "Calibration windows (default 16)")
      ->check(CLI::PositiveNumber);
  app->add_option("--seq", opts->diagnose.seq, "Tokens per window (default 512)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
  app->add_option("--eval-text", opts->diagnose.eval_text,
                  "Held-out text for --rank-by ppl/combined");
  app->add_option("--twin-seeds", opts->diagnose.twin_seeds, "Random twins (default 3)")
      ->check(CLI::PositiveNumber);
  app->add_option("--aggregate", opts->aggregate, "projection (default) | flat | attention | qkv");
  app->add_option("--sensitivity-method", opts->sensitivity_method,
                  "Back-end --rank-by kl measures with, planning from MODEL: gptq (default) | rtn");
  app->add_option("-o,--output", opts->output, "BitPlan JSON to write");
  app->add_flag("--force", opts->force, "Overwrite an existing output");
  AddCommonOptions(*app, opts->common);
  opts->diagnose.eval_ctx = 0;
  opts->diagnose.twin_std = 0;
  app->callback([opts, &result] { result = RunPlan(*opts); });
}

}  // namespace lieq::cli
