// The whole LieQ pipeline in one call, as values from stage to stage:
//   calibration set -> diagnostics -> BitPlan -> quantized model -> export
// `lieq quantize` is a front end that parses flags into PipelineOptions and calls RunPipeline;
// another front end can call the same function. Every stage reuses the resume caches of
// diagnose (analysis/diagnose_cache.h) and quantize (quant/block_cache.h), kept in one work
// folder (STEM.lieq-cache by default, pipeline/output_files.h), so an interrupted run resumes.
// Outputs are written atomically (core/atomic_file.h, core/folder_output.h): an interrupted
// run leaves no partial output.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "model/model.h"
#include "pipeline/pipeline_summary.h"
#include "pipeline/progress.h"
#include "plan/bit_plan.h"
#include "quant/model_quantizer.h"

namespace lieq {

struct PipelineOptions {
  std::string model;
  std::string out;     // a .gguf file or a folder (docs/QUANT_FORMAT.md)
  std::string format;  // lieq | gguf; empty: by out's extension
  bool force = false;

  // The plan: exactly one of plan_file, budget, uniform.
  std::string plan_file;
  std::string budget;  // average bits over block linear weights, e.g. "2.25"
  int uniform = 0;
  std::string bits;              // --budget: candidate widths; empty: DefaultCandidateWidths
  std::string rank_by;           // planner.h's kRankByNames; empty: plan_scores.h's DefaultRankBy
  std::string rule;              // planner.h's default when empty
  std::string diagnostics_file;  // scores from an earlier `lieq diagnose`; empty: measured here
  int group_size = 0;            // 0: the plan file's, else 128; fitted to the model

  // Calibration (GPTQ/AWQ windows and the diagnostics' windows).
  std::string calib;  // empty: the built-in text (pipeline/calibration_source.h)
  int64_t calib_samples = 128;
  int64_t calib_seq = 0;  // 0: 2048 capped at the model's context
  int64_t calib_docs = 500;
  int64_t diagnose_samples = 16;
  int64_t diagnose_seq = 512;  // capped at the model's context
  uint64_t seed = 0;

  // The back-end.
  QuantMethod method = QuantMethod::kGptq;
  bool act_order = false;
  double damp = 0.01;
  // Calibration passes on the BF16 / int8 GEMMs of fast_prefill where the CPU has them: 1.36x
  // faster GPTQ on the Qwen3-0.6B shape, the same quality within GPTQ's seed-to-seed spread
  // (docs/BENCHMARKS.md).
  bool fast_calibration = true;
  bool rtn_clip = false;
  int awq_grid = 20;
  // Embeddings and output head types (ParseGgufTensorType names). gguf: default q6_K head, the
  // embeddings the head's when tied; lieq folder: empty keeps them as they are.
  std::string embed_type;
  std::string head_type;

  // FP vs quantized perplexity in the summary and report.html (pipeline/evaluate.h).
  std::string eval_text;    // empty: not measured
  int64_t eval_ctx = 0;     // 0: 2048 capped at the model's context
  int64_t eval_chunks = 0;  // windows; 0: all

  std::string cache_dir;    // empty: STEM.lieq-cache, removed after a successful run
  bool keep_cache = false;  // keep the default cache after success
  bool allow_nonfinite = false;
  int threads = 1;
};

// Checks a front end adds before the long work (cli/preflight.h): `after_load` once the model is
// loaded (e.g. an already quantized model), `before_quantize` once the plan is known (memory,
// room for the output). Either may be empty.
struct PipelineChecks {
  std::function<Status(const Model& model)> after_load;
  std::function<Status(const Model& model, const BitPlan& plan)> before_quantize;
};

// Runs every stage and writes OUT, STEM.plan.json, STEM.diagnostics.json/.md (when diagnosed),
// STEM.summary.json and STEM.report.html. Progress and notes go to `progress`.
Result<PipelineSummary> RunPipeline(const PipelineOptions& options, Progress& progress,
                                    const PipelineChecks& checks = {});

}  // namespace lieq
