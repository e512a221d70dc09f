#include "analysis/run_diagnostics.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "analysis/calibration.h"
#include "core/mapped_file.h"
#include "tokenizer/tokenizer.h"

namespace lieq {

double PeakRssMib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

Result<Diagnostics> RunDiagnostics(const Model& model, const DiagnoseSettings& settings,
                                   ThreadPool& pool, std::FILE* log) {
  const auto start = std::chrono::steady_clock::now();
  if (!model.tokenizer) {
    return InvalidArgument(settings.model + ": the model has no tokenizer (needed for --calib)");
  }
  LIEQ_ASSIGN_OR_RETURN(std::vector<Projection> projections,
                        ParseProjections(settings.projections));
  LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
  CalibrationOptions calib;
  calib.samples = settings.samples;
  calib.seq = settings.seq;
  calib.seed = settings.seed;
  LIEQ_ASSIGN_OR_RETURN(std::vector<std::vector<int32_t>> samples,
                        SampleCalibration(settings.calib, tokenizer, calib));

  Diagnostics d;
  d.settings = settings;
  d.arch = std::string(ArchName(model.config.arch));
  d.num_blocks = model.config.num_layers;
  if (d.settings.twin_std <= 0) d.settings.twin_std = model.config.initializer_range;

  CompactnessOptions o;
  o.projections = projections;
  o.per_head = settings.per_head;
  o.top_k = settings.top_k;
  o.twin_seeds = settings.twin_seeds;
  o.seed = settings.twin_seed >= 0 ? static_cast<uint64_t>(settings.twin_seed) : settings.seed;
  o.twin_std = d.settings.twin_std;
  if (log != nullptr) {
    o.progress = [log](int block, int blocks, double seconds) {
      std::fprintf(log, "[proxy] block %d/%d  %.2f s\n", block + 1, blocks, seconds);
    };
  }
  LIEQ_ASSIGN_OR_RETURN(d.proxy, MeasureCompactness(model, pool, samples, o));

  if (!settings.eval_text.empty()) {
    LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(settings.eval_text));
    Result<std::vector<int32_t>> tokens = tokenizer.Encode(text, /*add_special=*/true);
    if (!tokens.ok()) return tokens.status().WithContext(settings.eval_text);
    PplOptions ppl;
    ppl.protocol = PplProtocol::kGptq;
    ppl.ctx = settings.eval_ctx;
    ppl.max_windows = settings.eval_windows;
    Transformer transformer(model, pool);
    auto progress = [log, L = d.num_blocks](int block, double value) {
      if (log == nullptr) return;
      if (block < 0) {
        std::fprintf(log, "[ppl] base            ppl %.4f\n", value);
      } else {
        std::fprintf(log, "[ppl] skip block %d/%lld ppl %.4f\n", block + 1,
                     static_cast<long long>(L), value);
      }
    };
    Result<BlockPplResult> r = MeasureBlockPpl(transformer, *tokens, ppl, progress);
    if (!r.ok()) return r.status().WithContext(settings.eval_text);
    d.ppl = std::move(r).value();
  }
  d.seconds_total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  d.peak_rss_mib = PeakRssMib();
  return d;
}

}  // namespace lieq
