#include "pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "analysis/diagnostics.h"
#include "analysis/report.h"
#include "analysis/run_diagnostics.h"
#include "core/atomic_file.h"
#include "core/output_path.h"
#include "io/hf_config.h"
#include "io/model_loader.h"
#include "io/quantized_model.h"
#include "model/finite_weights.h"
#include "pipeline/calibration_source.h"
#include "pipeline/evaluate.h"
#include "pipeline/output_files.h"
#include "plan/model_sizes.h"
#include "plan/plan_scores.h"
#include "plan/planner.h"
#include "quant/block_quantizer.h"
#include "quant/calibration.h"
#include "quant/embed_head.h"
#include "quant/gguf_export.h"
#include "report/html_report.h"
#include "tokenizer/tokenizer.h"

namespace lieq {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The stages' values, handed from one stage to the next.
struct CalibrationSet {
  CalibrationSource source;
  std::vector<std::vector<int32_t>> windows;  // quantization windows; empty when not needed
  int64_t seq_len = 0;
};

struct Diagnosis {
  Diagnostics diagnostics;
  nlohmann::json json;  // diagnostics.json as `lieq diagnose` writes it
};

// What every stage shares: the options, where things go, the summary being filled.
struct Run {
  const PipelineOptions& o;
  Progress& progress;
  OutputFiles files;
  OutputFormat format = OutputFormat::kLieq;
  std::string work_dir;  // the resume caches and the built-in calibration text
  PipelineSummary summary;

  void Note(const std::string& message) {
    summary.notes.push_back(message);
    progress.Note("note: " + message);
  }
  void Time(const std::string& stage, Clock::time_point start) {
    summary.stages.push_back({stage, SecondsSince(start)});
  }
};

// Scores measured in this run: --budget without --diagnostics, ranked by measured sensitivity
// (the default) or the proxy.
bool DiagnosesHere(const PipelineOptions& o) {
  return !o.budget.empty() && o.diagnostics_file.empty() &&
         (o.rank_by == "kl" || o.rank_by == "proxy");
}

// The widths a --budget plan chooses from: --bits, or the planner's default for the rule.
std::string CandidateWidths(const PipelineOptions& o) {
  return !o.bits.empty() ? o.bits : DefaultCandidateWidths(o.rank_by, o.rule);
}

// --head-type / --embed-type; an empty --head-type gives `head_default`.
Result<EmbedHeadTypes> ParseEmbedHeadTypes(const PipelineOptions& o, DType head_default) {
  EmbedHeadTypes types;
  types.head = head_default;
  if (!o.head_type.empty()) {
    LIEQ_ASSIGN_OR_RETURN(types.head, ParseGgufTensorType(o.head_type, "--head-type"));
  }
  if (!o.embed_type.empty()) {
    LIEQ_ASSIGN_OR_RETURN(types.embed, ParseGgufTensorType(o.embed_type, "--embed-type"));
  }
  return types;
}

// Bits per weight of a folder-format model as written: block layers at their width with their
// group scales and zeros, every other tensor in its stored dtype (norms and biases F32).
double FolderBitsPerWeight(Model& model, const BitPlan& plan) {
  double bits = 0, weights = 0;
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    int64_t n = 1;
    for (int64_t d : slot.shape) n *= d;
    const int width = slot.block >= 0 ? plan.bits[static_cast<size_t>(slot.block)] : 0;
    const double bytes = slot.is_linear && width > 0
                             ? static_cast<double>(BlockLinearBytes(n, width, plan.group_size))
                         : slot.is_vector ? 4.0 * static_cast<double>(n)
                                          : static_cast<double>(slot.view->SizeBytes());
    bits += 8 * bytes;
    weights += static_cast<double>(n);
  });
  return weights > 0 ? bits / weights : 0;
}

Status CheckOptions(const PipelineOptions& o, OutputFormat format) {
  const int given = (!o.plan_file.empty()) + (!o.budget.empty()) + (o.uniform > 0);
  if (given != 1) return InvalidArgument("give exactly one of --plan, --budget, --uniform");
  if (format == OutputFormat::kGguf && o.method != QuantMethod::kRtn &&
      o.method != QuantMethod::kGptq) {
    return Unimplemented(std::string("--format gguf supports --method rtn and gptq, not ") +
                         QuantMethodName(o.method));
  }
  if (!o.budget.empty() && o.diagnostics_file.empty() && !DiagnosesHere(o) &&
      o.rank_by != "random" && o.rank_by != "first-last") {
    return InvalidArgument("--budget with --rank-by " + o.rank_by +
                           " needs --diagnostics FILE (from `lieq diagnose`); --rank-by kl "
                           "(the default) and proxy are measured in this run");
  }
  // Type names and their quantizers, checked before any work.
  LIEQ_ASSIGN_OR_RETURN(const EmbedHeadTypes types, ParseEmbedHeadTypes(o, DType::kQ6_K));
  return CheckEmbedHeadTypes(types);
}

// The sidecar files describe the output being written, so an older run's for the same output
// are replaced with it (files only: core/output_path.h never replaces a folder or a special
// file). Those of another output with the same stem (OUT and OUT.gguf) need --force.
constexpr WriteOptions kSidecarWrite{.overwrite = true};

Status CheckSidecars(const Run& run, bool diagnoses) {
  const WriteOptions write = kSidecarWrite;
  std::error_code ec;
  if (!run.o.force && std::filesystem::is_regular_file(run.files.summary, ec)) {
    Result<nlohmann::json> previous = ReadJsonFile(run.files.summary);
    std::string other = "?";
    if (previous.ok() && previous->is_object() && previous->contains("output") &&
        (*previous)["output"].is_string()) {
      other = (*previous)["output"].get<std::string>();
    }
    const auto normal = [](const std::string& path) {
      std::error_code e;
      return std::filesystem::absolute(StripTrailingSlashes(path), e).lexically_normal();
    };
    if (normal(other) != normal(run.o.out)) {
      return AlreadyExists(run.files.summary + " describes another output (" + other +
                           "); use --force to replace it, or another -o");
    }
  }
  LIEQ_RETURN_IF_ERROR(CheckOutputWritable(run.files.plan, write));
  LIEQ_RETURN_IF_ERROR(CheckOutputWritable(run.files.summary, write));
  LIEQ_RETURN_IF_ERROR(CheckOutputWritable(run.files.report, write));
  if (diagnoses) {
    LIEQ_RETURN_IF_ERROR(CheckOutputWritable(run.files.diagnostics, write));
    LIEQ_RETURN_IF_ERROR(CheckOutputWritable(run.files.diagnostics_report, write));
  }
  return Status::Ok();
}

int64_t ModelContext(const Model& model) { return model.config.max_position_embeddings; }

// Stage 1: the calibration text, and the quantizer's windows when the back-end needs them.
Result<CalibrationSet> BuildCalibrationSet(Run& run, const Model& model, bool diagnoses) {
  const PipelineOptions& o = run.o;
  CalibrationSet set;
  const bool quant_needs = NeedsCalibration(o.method);
  if (!quant_needs && !diagnoses) {
    set.source.name = "none (" + std::string(QuantMethodName(o.method)) + " needs no data)";
    return set;
  }
  LIEQ_ASSIGN_OR_RETURN(set.source, ResolveCalibrationSource(o.calib, run.work_dir));
  if (!quant_needs) return set;
  const int64_t context = ModelContext(model);
  CalibrationOptions calib;
  calib.file = set.source.path;
  calib.samples = o.calib_samples;
  calib.num_docs = o.calib_docs;
  calib.seed = o.seed;
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
  int64_t stream_tokens = 0;
  Result<std::vector<std::vector<int32_t>>> windows =
      SampleCalibrationWindows(tokenizer, calib, &stream_tokens);
  if (!windows.ok()) {
    return set.source.built_in ? windows.status().WithContext(set.source.name) : windows.status();
  }
  set.windows = std::move(windows).value();
  set.seq_len = calib.seq_len;
  run.progress.Note("calibration: " + std::to_string(calib.samples) + " windows x " +
                    std::to_string(calib.seq_len) + " tokens from the first " +
                    std::to_string(o.calib_docs) + " documents of " + set.source.name);
  if (calib.samples * calib.seq_len > stream_tokens) {
    // Random windows of a short text repeat its tokens; say so rather than hide it.
    run.Note("the calibration text holds " + std::to_string(stream_tokens) +
             " tokens, fewer than " + std::to_string(calib.samples) + " x " +
             std::to_string(calib.seq_len) +
             ": the windows overlap (a longer --calib text gives GPTQ more distinct data)");
  }
  return set;
}

// Stage 2: LieQ's diagnostics (the proxy; with --rank-by kl, the default, the measured
// sensitivity too), resumable from the work folder.
Result<Diagnosis> Diagnose(Run& run, Model& model, const CalibrationSet& calib, ThreadPool& pool) {
  const PipelineOptions& o = run.o;
  DiagnoseSettings settings;
  settings.model = o.model;
  settings.calib = calib.source.path;
  settings.samples = o.diagnose_samples;
  const int64_t context = ModelContext(model);
  settings.seq = context > 0 ? std::min(o.diagnose_seq, context) : o.diagnose_seq;
  settings.eval_ctx = settings.seq;
  settings.seed = o.seed;
  settings.twin_std = 0;  // the config's initializer_range
  settings.cache_dir = run.work_dir;
  // Measured sensitivity (the default signal): KL with only block l quantized at each candidate
  // width, by the back-end the model will be quantized with (AWQ's folding cannot be applied to
  // one block alone: GPTQ stands in for it).
  std::optional<SensitivityRequest> sensitivity;
  int64_t kl_units = 0;
  if (o.rank_by == "kl") {
    settings.sensitivity_bits = CandidateWidths(o);
    LIEQ_ASSIGN_OR_RETURN(const std::vector<int> widths,
                          ParseBitList(settings.sensitivity_bits, "--bits"));
    kl_units = model.config.num_layers * static_cast<int64_t>(widths.size());
    // MakeSensitivityRequest fits the group to the model's shapes, as the quantizer does.
    LIEQ_ASSIGN_OR_RETURN(
        sensitivity, MakeSensitivityRequest(model, o.method == QuantMethod::kRtn ? "rtn" : "gptq",
                                            o.group_size > 0 ? o.group_size : 128, pool));
  }
  const auto blocks = model.config.num_layers;
  const double tokens = static_cast<double>(settings.samples * settings.seq);
  run.progress.Begin("diagnose", blocks, "block", tokens);
  int64_t kl_done = 0;
  bool kl_stage = false;
  const auto begin_kl_stage = [&] {  // once the proxy is done (cached units report nothing)
    if (kl_stage || kl_units == 0) return;
    kl_stage = true;
    run.progress.End();
    run.progress.Begin("sensitivity", kl_units, "pass", tokens);
  };
  DiagnoseProgress progress;
  progress.proxy = [&](int block, int, double seconds) {
    char detail[64];
    std::snprintf(detail, sizeof(detail), "proxy %.2f s", seconds);
    run.progress.Advance(block + 1, detail);
    if (block + 1 == blocks) begin_kl_stage();
  };
  progress.kl = [&](int block, int bits, double kl, double seconds) {
    begin_kl_stage();
    char detail[96];
    std::snprintf(detail, sizeof(detail), "block %d at %d bits: KL %.4g, %.2f s", block, bits, kl,
                  seconds);
    run.progress.Advance(++kl_done, detail);
  };
  Result<Diagnostics> d = RunDiagnostics(model, settings, pool, nullptr,
                                         sensitivity ? &*sensitivity : nullptr, progress);
  run.progress.End();
  if (!d.ok())
    return calib.source.built_in ? d.status().WithContext(calib.source.name) : d.status();
  Diagnosis out{std::move(d).value(), {}};
  out.diagnostics.settings.calib = calib.source.name;  // recorded as the user knows it
  out.json = DiagnosticsToJson(out.diagnostics);
  const int stored_bits = model.weights.embed.dtype == DType::kF32 ? 32 : 16;
  out.json["sizes"] = ModelSizesToJson(ModelSizesFromConfig(model.config, stored_bits));
  out.json["threads"] = pool.size();
  return out;
}

// The group size: the requested one when it fits the model's shapes, else the largest supported
// group that does (said once, and recorded in the plan and the summary).
Status FitPlanGroupSize(Run& run, const ModelConfig& config, BitPlan& plan) {
  const int requested = plan.group_size;
  const int fitted = FitGroupSize(config, requested);
  if (fitted == 0) {
    return InvalidArgument(
        "no supported group size (32, 64, 128) divides the model's linear "
        "input dimensions (" +
        std::to_string(config.hidden_size) + ", " + std::to_string(config.q_dim()) + ", " +
        std::to_string(config.intermediate_size) + ")");
  }
  if (fitted == requested) return Status::Ok();
  plan.group_size = fitted;
  plan.group_size_requested = requested;
  run.Note("group size " + std::to_string(requested) +
           " does not divide every linear layer's input dimension (hidden " +
           std::to_string(config.hidden_size) + ", intermediate " +
           std::to_string(config.intermediate_size) + "); using group size " +
           std::to_string(fitted));
  return Status::Ok();
}

// Stage 3: the BitPlan, from a file, one width, or the LieQ planner under the budget.
Result<BitPlan> ChoosePlan(Run& run, const Model& model, const Diagnosis* diagnosis) {
  const PipelineOptions& o = run.o;
  const ModelConfig& config = model.config;
  const int stored_bits = model.weights.embed.dtype == DType::kF32 ? 32 : 16;
  const ModelSizes sizes = ModelSizesFromConfig(config, stored_bits);
  const int group = o.group_size > 0 ? o.group_size : 128;
  BitPlan plan;
  std::string source = o.plan_file;
  if (!o.budget.empty()) {
    source = "--budget";
    PlanRequest request;
    LIEQ_ASSIGN_OR_RETURN(request.budget, ParseBudget(o.budget));
    LIEQ_ASSIGN_OR_RETURN(request.candidates, ParseBitList(CandidateWidths(o), "--bits"));
    request.rank_by = o.rank_by;
    request.rule = o.rule;
    request.seed = o.seed;
    request.group_size = group;
    request.block_params = sizes.block_linear_params;
    if (diagnosis != nullptr) {
      LIEQ_RETURN_IF_ERROR(ApplyDiagnosticsScores(DiagnosticsScoresOf(diagnosis->diagnostics),
                                                  run.files.diagnostics, request));
    } else if (!o.diagnostics_file.empty()) {
      LIEQ_ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(o.diagnostics_file));
      LIEQ_ASSIGN_OR_RETURN(DiagnosticsScores scores,
                            DiagnosticsScoresFromJson(j, o.diagnostics_file));
      LIEQ_RETURN_IF_ERROR(ApplyDiagnosticsScores(scores, o.diagnostics_file, request));
    }
    LIEQ_ASSIGN_OR_RETURN(plan, PlanBits(request));
    plan.diagnostics = diagnosis != nullptr ? run.files.diagnostics : o.diagnostics_file;
    if (std::abs(plan.avg_bits_linear - request.budget) > 1e-9) {
      char text[160];
      std::snprintf(text, sizeof(text),
                    "--budget %g cannot be met exactly with these block sizes; the plan uses "
                    "%.4f bits, the most that stays within it",
                    request.budget, plan.avg_bits_linear);
      run.Note(text);
    }
  } else if (o.uniform > 0) {
    source = "--uniform";
    plan = UniformBitPlan(config, o.uniform, group);
  } else {
    LIEQ_ASSIGN_OR_RETURN(plan, ReadBitPlan(o.plan_file));
    if (o.group_size > 0) plan.group_size = o.group_size;
  }
  if (plan.num_blocks != config.num_layers) {
    return ValidateBitPlan(plan, config).WithContext(source);
  }
  for (size_t l = 0; l < plan.bits.size(); ++l) {
    if (std::find(std::begin(kSupportedBits), std::end(kSupportedBits), plan.bits[l]) ==
        std::end(kSupportedBits)) {
      return InvalidArgument(source + ": bits[" + std::to_string(l) +
                             "] = " + std::to_string(plan.bits[l]) +
                             " is not a supported width (2, 3, 4, 8)");
    }
  }
  LIEQ_RETURN_IF_ERROR(FitPlanGroupSize(run, config, plan));
  LIEQ_RETURN_IF_ERROR(ValidateBitPlan(plan, config).WithContext(source));
  plan.model = o.model;
  plan.avg_bits_file = AverageBitsFile(sizes, plan.bits, plan.group_size);
  return plan;
}

QuantizeOptions MakeQuantizeOptions(const PipelineOptions& o, const BitPlan& plan,
                                    CalibrationSet& calib) {
  QuantizeOptions options;
  options.method = o.method;
  options.bits = plan.bits;
  options.group_size = plan.group_size;
  options.rtn_clip.search = o.rtn_clip;
  options.gptq.damp = o.damp;
  options.gptq.act_order = o.act_order;
  options.calibration_kernels.fast_prefill = o.fast_calibration;
  options.awq.grid = o.awq_grid;
  options.calibration = std::move(calib.windows);
  return options;
}

// What the quantized folder records of how it was made (quantization_config.details).
nlohmann::json QuantizeDetails(const PipelineOptions& o, const BitPlan& plan,
                               const CalibrationSet& calib, const QuantizeOptions& options) {
  nlohmann::json details = {{"plan", !o.plan_file.empty() ? o.plan_file
                                     : !o.budget.empty()  ? "budget " + o.budget
                                                          : "uniform"},
                            {"rank_by", plan.rank_by}};
  if (o.method == QuantMethod::kRtn) details["rtn_clip_search"] = o.rtn_clip;
  if (NeedsCalibration(o.method)) {
    details["calibration"] = {{"file", calib.source.name},
                              {"documents", o.calib_docs},
                              {"samples", o.calib_samples},
                              {"seq_len", calib.seq_len},
                              {"seed", o.seed},
                              {"kernels", o.fast_calibration ? "fast" : "exact"}};
  }
  if (o.method == QuantMethod::kGptq || o.method == QuantMethod::kAwqGptq) {
    details["gptq"] = {
        {"damp", o.damp}, {"act_order", o.act_order}, {"block_size", options.gptq.block_size}};
  }
  if (o.method == QuantMethod::kAwq || o.method == QuantMethod::kAwqGptq) {
    details["awq"] = {{"grid", o.awq_grid}};
  }
  return details;
}

// "4 bits, gptq: calib 0.52 s, quantize 1.10 s" for a finished block.
std::string DescribeBlock(const BlockReport& r, QuantMethod method) {
  char text[160];
  if (r.cached) {
    std::snprintf(text, sizeof(text), "%d bits, cached (calib %.2f s)", r.bits, r.calib_seconds);
    return text;
  }
  std::snprintf(text, sizeof(text), "%d bits, %s: calib %.2f s, quantize %.2f s", r.bits,
                QuantMethodName(method), r.calib_seconds, r.quant_seconds);
  std::string out = text;
  if (r.awq_alpha_attn >= 0) {
    std::snprintf(text, sizeof(text), " (awq alpha attn %.2f, mlp %.2f)", r.awq_alpha_attn,
                  r.awq_alpha_mlp);
    out += text;
  }
  return out;
}

// Stages 4 and 5: the quantized model and its export, in the project's folder format (resumable
// block by block) or as GGUF (llama.cpp's grids; quant/gguf_export.h).
Status QuantizeAndExport(Run& run, Model& model, const BitPlan& plan, CalibrationSet& calib,
                         ThreadPool& pool) {
  const PipelineOptions& o = run.o;
  const int64_t tokens = static_cast<int64_t>(o.calib_samples) * calib.seq_len;
  QuantizeOptions options = MakeQuantizeOptions(o, plan, calib);
  const nlohmann::json details = QuantizeDetails(o, plan, calib, options);
  run.progress.Begin("quantize", model.config.num_layers, "block", static_cast<double>(tokens));
  options.progress = [&run, method = o.method](const BlockReport& r) {
    run.progress.Advance(r.block + 1, DescribeBlock(r, method), r.cached);
  };
  options.warn = [&run](const std::string& m) { run.progress.Note("warning: " + m); };
  if (!run.work_dir.empty()) {  // both exports resume block by block from the work folder
    options.cache_dir = run.work_dir;
    options.cache_salt = HfConfigJson(model.config, "") + "\n" + details.dump();
  }
  auto start = Clock::now();
  if (run.format == OutputFormat::kGguf) {
    GgufExportOptions gguf;
    LIEQ_ASSIGN_OR_RETURN(const EmbedHeadTypes types, ParseEmbedHeadTypes(o, gguf.head_type));
    gguf.head_type = types.head;
    gguf.embed_type = types.embed;
    gguf.write.overwrite = o.force;
    LIEQ_ASSIGN_OR_RETURN(GgufExportReport report, ExportGguf(model, options, gguf, o.out, pool));
    run.progress.End();
    run.Time("quantize+export", start);
    run.summary.quantize_seconds = run.summary.stages.back().seconds;
    run.summary.avg_bits_file = report.bits_per_weight();
    for (const GgufTypeFallback& f : report.fallbacks) {
      run.summary.fallbacks.push_back(
          {f.tensor, std::string(Name(f.wanted)), std::string(Name(f.used))});
    }
    // Bytes per type and one line per kind of fallback (all of them in the summary).
    std::string described = DescribeGgufExport(report, o.out);
    if (!described.empty() && described.back() == '\n') described.pop_back();
    run.progress.Note(described);
    return Status::Ok();
  }
  LIEQ_RETURN_IF_ERROR(QuantizeModel(model, options, pool));
  const bool low_bit_embed_head = !o.head_type.empty() || !o.embed_type.empty();
  if (low_bit_embed_head) {  // opt-in in this format; only --embed-type: the head keeps its dtype
    LIEQ_ASSIGN_OR_RETURN(const EmbedHeadTypes types,
                          ParseEmbedHeadTypes(o, model.weights.lm_head.dtype));
    LIEQ_RETURN_IF_ERROR(QuantizeEmbedHead(model, types, pool));
  }
  run.progress.End();
  run.Time("quantize", start);
  run.summary.quantize_seconds = run.summary.stages.back().seconds;
  start = Clock::now();
  QuantizationConfig qc;
  qc.method = QuantMethodName(o.method);
  qc.bits = plan.bits;
  qc.group_size = plan.group_size;
  qc.details = details;
  LIEQ_RETURN_IF_ERROR(WriteQuantizedModel(model, qc, o.out, o.force));
  run.Time("export", start);
  // The plan's estimate counts the embeddings and head at the source's width.
  run.summary.avg_bits_file =
      low_bit_embed_head ? FolderBitsPerWeight(model, plan) : plan.avg_bits_file;
  return Status::Ok();
}

// The BitPlan, the diagnostics and the summary next to the output, each written atomically.
Status WriteSidecars(Run& run, const BitPlan& plan, const Diagnosis* diagnosis) {
  const WriteOptions write = kSidecarWrite;
  LIEQ_RETURN_IF_ERROR(WriteBitPlan(plan, run.files.plan, write.overwrite));
  if (diagnosis != nullptr) {
    LIEQ_RETURN_IF_ERROR(
        WriteTextFileAtomically(run.files.diagnostics, diagnosis->json.dump(2) + "\n", write));
    LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(run.files.diagnostics_report,
                                                 ReportMarkdown(diagnosis->diagnostics), write));
  }
  LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(
      run.files.summary, PipelineSummaryToJson(run.summary).dump(2) + "\n", write));
  ReportInputs report{plan, std::nullopt, ToRunSummary(run.summary)};
  if (diagnosis != nullptr) report.diagnostics = DiagnosticsScoresOf(diagnosis->diagnostics);
  return WriteHtmlReport(run.files.report, report, write);
}

// What the summary says of the run before the quantizer starts: the inputs, the plan, the files.
void SummarizeRun(Run& run, const BitPlan& plan, const CalibrationSet& calib, bool diagnosed) {
  PipelineSummary& s = run.summary;
  s.model = run.o.model;
  s.out = run.o.out;
  s.format = run.format == OutputFormat::kGguf ? "gguf" : "lieq";
  s.method = QuantMethodName(run.o.method);
  s.calibration = calib.source.name;
  s.bits = plan.bits;
  s.rank_by = plan.rank_by;
  s.rule = plan.rule;
  s.budget = plan.budget;
  s.group_size = plan.group_size;
  s.group_size_requested = plan.group_size_requested;
  s.avg_bits_linear = plan.avg_bits_linear;
  s.threads = run.o.threads;
  s.plan_file = run.files.plan;
  s.diagnostics_file = diagnosed ? run.files.diagnostics : "";
  s.diagnostics_report = diagnosed ? run.files.diagnostics_report : "";
  s.summary_file = run.files.summary;
  s.report_file = run.files.report;
}

// Removes the default work folder after a successful run: only the files the caches and the
// built-in calibration text put there, then the folder if that left it empty.
void RemoveWorkFolder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> ours;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string ext = it->path().extension().string();
    if (it->is_regular_file(ec) &&
        (ext == ".lqb" || ext == ".lqg" || ext == ".json" || name == "default-calibration.txt")) {
      ours.push_back(it->path());
    }
  }
  for (const fs::path& p : ours) fs::remove(p, ec);
  fs::remove(dir, ec);  // fails, harmlessly, when anything else is left
}

// The ranking signal when none is named (plan_scores.h's DefaultRankBy): the measured
// sensitivity, or the proxy for a --diagnostics file that holds none (said in a note).
Result<PipelineOptions> ResolveRankBy(const PipelineOptions& given, std::string* note) {
  PipelineOptions o = given;
  if (!o.rank_by.empty()) return o;
  if (o.budget.empty() || o.diagnostics_file.empty()) {
    o.rank_by = DefaultRankBy(nullptr, "", note);
    return o;
  }
  LIEQ_ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(o.diagnostics_file));
  LIEQ_ASSIGN_OR_RETURN(DiagnosticsScores scores, DiagnosticsScoresFromJson(j, o.diagnostics_file));
  o.rank_by = DefaultRankBy(&scores, o.diagnostics_file, note);
  return o;
}

}  // namespace

Result<PipelineSummary> RunPipeline(const PipelineOptions& given, Progress& progress,
                                    const PipelineChecks& checks) {
  const auto start = Clock::now();
  std::string rank_note;
  LIEQ_ASSIGN_OR_RETURN(const PipelineOptions o, ResolveRankBy(given, &rank_note));
  Run run{o, progress, OutputFilesFor(o.out), OutputFormat::kLieq, "", {}};
  if (!rank_note.empty()) run.Note(rank_note);
  if (!ResolveOutputFormat(o.format, o.out, &run.format)) {
    return InvalidArgument("--format must be lieq or gguf, got '" + o.format + "'");
  }
  LIEQ_RETURN_IF_ERROR(CheckOptions(o, run.format));
  const bool diagnoses = DiagnosesHere(o);
  LIEQ_RETURN_IF_ERROR(CheckSidecars(run, diagnoses));
  const bool default_work_dir = o.cache_dir.empty();
  if (NeedsCalibration(o.method) || diagnoses || !o.cache_dir.empty()) {
    run.work_dir = default_work_dir ? run.files.default_cache : o.cache_dir;
  }

  auto stage_start = Clock::now();
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.model));
  if (checks.after_load) LIEQ_RETURN_IF_ERROR(checks.after_load(model));
  ThreadPool pool(o.threads);
  if (!o.allow_nonfinite)
    LIEQ_RETURN_IF_ERROR(CheckFiniteWeights(model, pool).WithContext(o.model));
  run.Time("load", stage_start);
  run.summary.bytes_before = PathBytes(o.model);

  // A plan that cannot apply fails before the calibration and the diagnosis, unless the plan
  // needs the diagnosis.
  std::optional<BitPlan> plan;
  if (!diagnoses) {
    LIEQ_ASSIGN_OR_RETURN(plan, ChoosePlan(run, model, nullptr));
  }

  stage_start = Clock::now();
  LIEQ_ASSIGN_OR_RETURN(CalibrationSet calib, BuildCalibrationSet(run, model, diagnoses));
  run.Time("calibration", stage_start);

  std::optional<Diagnosis> diagnosis;
  if (diagnoses) {
    stage_start = Clock::now();
    LIEQ_ASSIGN_OR_RETURN(diagnosis, Diagnose(run, model, calib, pool));
    run.Time("diagnose", stage_start);
    stage_start = Clock::now();
    LIEQ_ASSIGN_OR_RETURN(plan, ChoosePlan(run, model, &*diagnosis));
    run.Time("plan", stage_start);
  }
  if (!calib.source.path.empty()) plan->calibration = calib.source.name;
  if (checks.before_quantize) LIEQ_RETURN_IF_ERROR(checks.before_quantize(model, *plan));

  SummarizeRun(run, *plan, calib, diagnosis.has_value());
  // The FP side before quantizing (the quantizer may replace the weights in memory).
  const EvalTextOptions eval{o.eval_text, o.eval_ctx, o.eval_chunks};
  PplComparison ppl{o.eval_text, 0, std::nullopt, std::nullopt};
  if (!o.eval_text.empty()) {
    stage_start = Clock::now();
    LIEQ_ASSIGN_OR_RETURN(ppl.fp, MeasurePerplexity(model, eval, "FP", pool, progress, &ppl.ctx));
    run.Time("eval FP", stage_start);
  }
  LIEQ_RETURN_IF_ERROR(QuantizeAndExport(run, model, *plan, calib, pool));
  if (!o.eval_text.empty()) {
    stage_start = Clock::now();
    LIEQ_ASSIGN_OR_RETURN(Model quantized, LoadModel(o.out));
    LIEQ_ASSIGN_OR_RETURN(
        ppl.quantized, MeasurePerplexity(quantized, eval, "quantized", pool, progress, &ppl.ctx));
    run.Time("eval quantized", stage_start);
    run.summary.ppl = ppl;
  }

  run.summary.bytes_after = PathBytes(o.out);
  run.summary.total_seconds = SecondsSince(start);
  LIEQ_RETURN_IF_ERROR(WriteSidecars(run, *plan, diagnosis ? &*diagnosis : nullptr));
  if (default_work_dir && !run.work_dir.empty() && !o.keep_cache) RemoveWorkFolder(run.work_dir);
  return std::move(run.summary);
}

}  // namespace lieq
