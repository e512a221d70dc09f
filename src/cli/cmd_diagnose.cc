// lieq diagnose MODEL [--calib FILE]: LieQ's per-block diagnostics (ΔPPL, Δr, ΔE_k), block
// scores, Spearman ρ of the proxy against ΔPPL; JSON, CSV, SVG charts and a Markdown report.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "analysis/diagnostics.h"
#include "analysis/report.h"
#include "analysis/run_diagnostics.h"
#include "cli/command.h"
#include "cli/preflight.h"
#include "core/atomic_file.h"
#include "core/folder_output.h"
#include "io/model_loader.h"
#include "model/finite_weights.h"
#include "pipeline/calibration_source.h"
#include "plan/model_sizes.h"
#include "quant/block_quantizer.h"

namespace lieq::cli {
namespace {

struct DiagnoseCliOptions {
  DiagnoseSettings settings;
  std::string aggregate = "projection";
  std::string weights = "1,1,1";
  std::string sensitivity_method = "gptq";
  int group_size = 128;
  std::string out_dir;
  bool force = false;
  bool allow_nonfinite = false;
  bool allow_long_context = false;
  CommonOptions common;
};

Result<std::array<double, 3>> ParseWeights(const std::string& text) {
  std::array<double, 3> w{};
  char* end = nullptr;
  const char* p = text.c_str();
  for (size_t i = 0; i < 3; ++i) {
    w[i] = std::strtod(p, &end);
    const char expected = i < 2 ? ',' : '\0';
    if (end == p || *end != expected || !std::isfinite(w[i]) || w[i] < 0) {
      return InvalidArgument("--weights '" + text +
                             "' must be three non-negative numbers W_PPL,W_R,W_E (e.g. 1,1,1)");
    }
    p = end + 1;
  }
  return w;
}

int StoredBits(const Model& model) {
  const DType t = model.weights.embed.dtype;
  return t == DType::kF32 ? 32 : 16;
}

// Stdout summary: the per-block table and ρ for both aggregations.
void PrintSummary(const Diagnostics& d) {
  const BlockScores s = ComputeBlockScores(d);
  const RhoTable rho = ComputeRho(d);
  std::printf("block   dPPL        proxy(dr)   dr_flat     dr_proj     dE_k        combined\n");
  for (size_t l = 0; l < s.proxy.size(); ++l) {
    std::printf("%5zu   %-10.4g  %-10.5f  %-10.5f  %-10.5f  %-10.5f  %-8.4f\n", l,
                s.delta_ppl.empty() ? std::nan("") : s.delta_ppl[l], s.proxy[l], s.delta_r_flat[l],
                s.delta_r_projection[l], s.delta_e[l], s.combined[l]);
  }
  if (d.ppl) {
    std::printf("base PPL %.4f\n", d.ppl->base_ppl);
    for (size_t i = 0; i < rho.proxy_flat.size(); ++i) {
      std::printf("Spearman rho(proxy, dPPL) with %zu twin(s): flat %.3f  projection-mean %.3f\n",
                  i + 1, rho.proxy_flat[i], rho.proxy_projection[i]);
    }
    std::printf("Spearman rho(dE_k, dPPL): flat %.3f  projection-mean %.3f; combined %.3f\n",
                rho.delta_e_flat, rho.delta_e_projection, rho.combined);
    for (size_t w = 0; w < rho.kl.size(); ++w) {
      std::printf("Spearman rho(KL at %d bits, dPPL): %.3f\n", s.kl_widths[w], rho.kl[w]);
    }
  }
  std::printf("proxy %.2f s (forward %.2f s, spectra %.2f s), dPPL %.2f s, peak RSS %.0f MiB\n",
              d.proxy.forward_seconds + d.proxy.spectrum_seconds, d.proxy.forward_seconds,
              d.proxy.spectrum_seconds, d.ppl ? d.ppl->seconds : 0.0, d.peak_rss_mib);
}

Status RunDiagnose(DiagnoseCliOptions o) {
  LIEQ_ASSIGN_OR_RETURN(o.settings.aggregate, AggregateFromName(o.aggregate));
  LIEQ_ASSIGN_OR_RETURN(o.settings.weights, ParseWeights(o.weights));
  LIEQ_RETURN_IF_ERROR(ParseProjections(o.settings.projections).status());
  if (o.settings.eval_ctx == 0) o.settings.eval_ctx = o.settings.seq;
  // Checks before work (cli/preflight.h): output folder, calibration and eval text parsed,
  // memory, the context, the weights.
  if (!o.out_dir.empty()) LIEQ_RETURN_IF_ERROR(PreflightOutputFolder(o.out_dir, o.force));
  LIEQ_RETURN_IF_ERROR(CheckCacheOutsideOutput(o.settings.cache_dir, o.out_dir));
  LIEQ_RETURN_IF_ERROR(PreflightModelPath(o.settings.model));
  if (!o.settings.calib.empty()) {
    LIEQ_RETURN_IF_ERROR(PreflightCalibration(o.settings.calib, "--calib", 0));
  }
  if (!o.settings.eval_text.empty()) {
    LIEQ_RETURN_IF_ERROR(PreflightInputFile(o.settings.eval_text, "--eval-text"));
  }
  const uint64_t file_bytes = ModelFileBytes(o.settings.model);
  LIEQ_RETURN_IF_ERROR(CheckMemory({file_bytes, 0, "model files"}, "diagnose"));
  LIEQ_ASSIGN_OR_RETURN(Model model, LoadModel(o.settings.model));
  LIEQ_RETURN_IF_ERROR(
      ResolveContext(o.settings.seq, 0, model.config, "--seq", o.allow_long_context).status());
  LIEQ_RETURN_IF_ERROR(
      ResolveContext(o.settings.eval_ctx, 0, model.config, "--eval-ctx", o.allow_long_context)
          .status());
  MemoryNeed need = RuntimeNeed(model.config, std::max(o.settings.seq, o.settings.eval_ctx), 64);
  need.mapped = file_bytes;
  LIEQ_RETURN_IF_ERROR(CheckMemory(need, "diagnose"));
  const int threads = ResolveThreads(o.common);
  ThreadPool pool(threads);
  if (!o.allow_nonfinite) {
    LIEQ_RETURN_IF_ERROR(CheckFiniteWeights(model, pool).WithContext(o.settings.model));
  }
  // No --calib: the built-in text (pipeline/calibration_source.h), recorded by its name.
  LIEQ_ASSIGN_OR_RETURN(const CalibrationSource calib,
                        ResolveCalibrationSourceInTemp(o.settings.calib));
  o.settings.calib = calib.path;
  std::fprintf(stderr, "%s: %lld blocks; calibration %lld x %lld tokens from %s; %d threads\n",
               o.settings.model.c_str(), static_cast<long long>(model.config.num_layers),
               static_cast<long long>(o.settings.samples), static_cast<long long>(o.settings.seq),
               calib.name.c_str(), threads);
  std::optional<SensitivityRequest> sensitivity;
  if (!o.settings.sensitivity_bits.empty()) {
    LIEQ_ASSIGN_OR_RETURN(sensitivity,
                          MakeSensitivityRequest(model, o.sensitivity_method, o.group_size, pool));
  }
  LIEQ_ASSIGN_OR_RETURN(Diagnostics d, RunDiagnostics(model, o.settings, pool, stderr,
                                                      sensitivity ? &*sensitivity : nullptr));
  d.settings.calib = calib.name;
  nlohmann::json j = DiagnosticsToJson(d);
  j["sizes"] = ModelSizesToJson(ModelSizesFromConfig(model.config, StoredBits(model)));
  j["threads"] = threads;

  if (!o.out_dir.empty()) {
    const std::pair<const char*, std::string> files[] = {{"diagnostics.json", j.dump(2) + "\n"},
                                                         {"diagnostics.csv", DiagnosticsCsv(d)},
                                                         {"blocks.svg", BlocksSvg(d)},
                                                         {"scatter.svg", ScatterSvg(d)},
                                                         {"report.md", ReportMarkdown(d)}};
    LIEQ_ASSIGN_OR_RETURN(FolderOutput out, FolderOutput::Begin(o.out_dir, o.force));
    for (const auto& [name, text] : files) {
      LIEQ_RETURN_IF_ERROR(
          WriteTextFileAtomically(out.Path(name), text, WriteOptions{.overwrite = true}));
    }
    LIEQ_RETURN_IF_ERROR(out.Commit("diagnose"));
    std::fprintf(stderr,
                 "wrote %s/{diagnostics.json,diagnostics.csv,blocks.svg,scatter.svg,"
                 "report.md}\n",
                 o.out_dir.c_str());
  }
  if (o.common.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    PrintSummary(d);
  }
  return Status::Ok();
}

}  // namespace

void RegisterDiagnose(CLI::App& root, Status& result) {
  auto opts = std::make_shared<DiagnoseCliOptions>();
  DiagnoseSettings& s = opts->settings;
  CLI::App* app = root.add_subcommand(
      "diagnose", "LieQ per-block diagnostics: dPPL, compactness gain dr, top-k energy gain dE_k");
  app->add_option("model", s.model, "Hugging Face folder or GGUF file")->required();
  app->add_option("--calib", s.calib,
                  "Calibration text: JSON lines with \"text\" (e.g. ../shared/data/calib/"
                  "c4-train-00000-head1000.jsonl), a plain text file or a folder of them "
                  "(default: the built-in text, data/calibration/default.txt)");
  app->add_option("--samples", s.samples, "Calibration windows (default 16)")
      ->check(CLI::PositiveNumber);
  app->add_option("--seq", s.seq, "Tokens per calibration window (default 512)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
  app->add_option("--seed", s.seed, "Seed of the calibration sampling and the random twins");
  app->add_option("--twin-seed", s.twin_seed, "Seed of the random twins only (default: --seed)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--eval-text", s.eval_text,
                  "Held-out text for dPPL (L+1 perplexity passes; skipped when absent)");
  app->add_option("--eval-ctx", s.eval_ctx, "dPPL window length (default: --seq)")
      ->check(CLI::PositiveNumber);
  app->add_option("--eval-windows", s.eval_windows, "dPPL windows per pass (default 8)")
      ->check(CLI::PositiveNumber);
  app->add_option("--projections", s.projections,
                  "Projections measured, comma-separated (default q,k,v,o,gate,up,down)");
  app->add_flag("!--whole-attention", s.per_head,
                "Measure q, k, v, o as whole matrices instead of per head");
  app->add_option("--top-k", s.top_k, "k of the top-k energy E_k (default 8)")
      ->check(CLI::PositiveNumber);
  app->add_option("--twin-seeds", s.twin_seeds, "Random twins averaged per unit (default 3)")
      ->check(CLI::PositiveNumber);
  app->add_option("--twin-std", s.twin_std,
                  "Std of the random twin's N(0, std^2) init (default: the config's "
                  "initializer_range; dr does not depend on it)")
      ->check(CLI::PositiveNumber);
  app->add_option("--aggregate", opts->aggregate,
                  "Block proxy: 'projection' = mean of per-projection means (default), 'flat' = "
                  "mean over all heads and projections, 'attention' / 'qkv' = projection means "
                  "over q, k, v, o / q, k, v only");
  app->add_option("--weights", opts->weights,
                  "Combined score weights W_PPL,W_R,W_E of the min-max normalised metrics "
                  "(default 1,1,1)");
  app->add_option("--sensitivity-bits", s.sensitivity_bits,
                  "Measure the KL divergence with only block l quantized at each of these widths "
                  "(e.g. 2,3,4,8; L x widths passes; off by default)");
  app->add_option("--sensitivity-method", opts->sensitivity_method,
                  "Back-end of --sensitivity-bits: gptq (default) | rtn");
  app->add_option("--group-size", opts->group_size,
                  "Quantization group size of --sensitivity-bits (32, 64, 128; default 128)");
  app->add_option("-o,--output", opts->out_dir,
                  "Folder for diagnostics.json, diagnostics.csv, blocks.svg, scatter.svg, "
                  "report.md");
  app->add_flag("--force", opts->force, "Replace an output folder lieq wrote");
  app->add_flag("--allow-long-context", opts->allow_long_context,
                "Allow --seq/--eval-ctx past the model's max_position_embeddings (with a warning)");
  app->add_flag("--allow-nonfinite", opts->allow_nonfinite,
                "Diagnose even when weights hold NaN or Inf");
  app->add_option("--cache-dir", s.cache_dir,
                  "Resume cache: keep each finished dPPL pass and block's proxy here; a rerun "
                  "with the same model, data and settings loads them instead of measuring again");
  AddCommonOptions(*app, opts->common);
  s.twin_std = 0;  // 0 = the config's initializer_range
  app->callback([opts, &result] { result = RunDiagnose(*opts); });
}

}  // namespace lieq::cli
