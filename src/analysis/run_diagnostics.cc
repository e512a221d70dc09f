#include "analysis/run_diagnostics.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "analysis/calibration.h"
#include "analysis/diagnose_cache.h"
#include "core/hash64.h"
#include "core/mapped_file.h"
#include "tokenizer/tokenizer.h"

namespace lieq {

namespace {

// "2,3,4,8" → widths (MeasureSensitivity checks which are supported).
Result<std::vector<int>> ParseWidths(const std::string& list) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string item = list.substr(start, comma - start);
    char* end = nullptr;
    const long v = item.empty() ? 0 : std::strtol(item.c_str(), &end, 10);
    if (item.empty() || end != item.c_str() + item.size()) {
      return InvalidArgument("--sensitivity-bits '" + list + "': '" + item +
                             "' is not a whole number");
    }
    out.push_back(static_cast<int>(v));
    start = comma + 1;
  }
  return out;
}

}  // namespace

double PeakRssMib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

Result<Diagnostics> RunDiagnostics(Model& model, const DiagnoseSettings& settings, ThreadPool& pool,
                                   std::FILE* log, const SensitivityRequest* sensitivity,
                                   const DiagnoseProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (!model.tokenizer) {
    return InvalidArgument(settings.model + ": the model has no tokenizer (needed for --calib)");
  }
  LIEQ_ASSIGN_OR_RETURN(std::vector<Projection> projections,
                        ParseProjections(settings.projections));
  std::vector<int> sensitivity_bits;
  if (!settings.sensitivity_bits.empty()) {
    if (sensitivity == nullptr || !sensitivity->quantize) {
      return InvalidArgument("--sensitivity-bits needs a quantization back-end");
    }
    LIEQ_ASSIGN_OR_RETURN(sensitivity_bits, ParseWidths(settings.sensitivity_bits));
  }
  LIEQ_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Create(*model.tokenizer));
  CalibrationOptions calib;
  calib.samples = settings.samples;
  calib.seq = settings.seq;
  calib.seed = settings.seed;
  int64_t text_tokens = 0;
  LIEQ_ASSIGN_OR_RETURN(std::vector<std::vector<int32_t>> samples,
                        SampleCalibration(settings.calib, tokenizer, calib, &text_tokens));
  if (log != nullptr && text_tokens < calib.samples * calib.seq) {
    std::fprintf(log,
                 "note: %s holds %lld tokens, fewer than %lld x %lld: the text is repeated and "
                 "the windows overlap (a longer --calib text gives more distinct data)\n",
                 settings.calib.c_str(), static_cast<long long>(text_tokens),
                 static_cast<long long>(calib.samples), static_cast<long long>(calib.seq));
  }

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
  if (log != nullptr || progress.proxy) {
    o.progress = [log, &progress](int block, int blocks, double seconds) {
      if (log != nullptr)
        std::fprintf(log, "[proxy] block %d of %d  %.2f s\n", block, blocks, seconds);
      if (progress.proxy) progress.proxy(block, blocks, seconds);
    };
  }
  // --cache-dir: keys over everything each unit depends on (the weights' bytes, the tokens
  // rather than the files' names or dates, every setting of that measurement and the seeds).
  std::optional<DiagnoseCache> cache;
  uint64_t model_digest = 0;
  if (!settings.cache_dir.empty()) {
    LIEQ_ASSIGN_OR_RETURN(DiagnoseCache opened, DiagnoseCache::Open(settings.cache_dir, log));
    cache.emplace(std::move(opened));
    model_digest = ModelWeightsDigest(model);
    Hash64 h;
    h.Str("lieq diagnose proxy 2").U64(model_digest).U64(TokensDigest(samples));
    h.U64(static_cast<uint64_t>(settings.samples)).U64(static_cast<uint64_t>(settings.seq));
    h.U64(settings.seed).U64(o.seed).U64(o.projections.size());
    for (Projection p : o.projections) h.U64(static_cast<uint64_t>(p));
    h.U64(o.per_head).U64(static_cast<uint64_t>(o.top_k)).U64(static_cast<uint64_t>(o.twin_seeds));
    h.F64(o.twin_std);
    const uint64_t key = h.digest();
    const int L = static_cast<int>(d.num_blocks);
    o.load_block = [&cache, key, L, seeds = o.twin_seeds](int block) {
      return cache->LoadProxy(key, block, L, seeds);
    };
    o.store_block = [&cache, key](int block, const BlockCompactness& b) {
      cache->StoreProxy(key, block, b);
    };
  }
  LIEQ_ASSIGN_OR_RETURN(d.proxy, MeasureCompactness(model, pool, samples, o));

  if (!sensitivity_bits.empty()) {
    SensitivityOptions so;
    so.widths = sensitivity_bits;
    if (log != nullptr || progress.kl) {
      so.progress = [log, &progress, L = d.num_blocks](int block, int bits, double kl,
                                                       double seconds) {
        if (log != nullptr) {
          std::fprintf(log, "[kl] block %d of %lld at %d bits: %.6g  %.2f s\n", block,
                       static_cast<long long>(L), bits, kl, seconds);
        }
        if (progress.kl) progress.kl(block, bits, kl, seconds);
      };
    }
    if (cache) {
      Hash64 h;
      h.Str("lieq diagnose kl 1").U64(model_digest).U64(TokensDigest(samples));
      h.Str(sensitivity->method);
      const uint64_t key = h.digest();
      const int L = static_cast<int>(d.num_blocks);
      so.load = [&cache, key, L](int block, int bits) {
        return cache->LoadKl(key, block, bits, L);
      };
      so.store = [&cache, key](int block, int bits, double kl) {
        cache->StoreKl(key, block, bits, kl);
      };
    }
    LIEQ_ASSIGN_OR_RETURN(
        d.sensitivity,
        MeasureSensitivity(model, pool, samples, sensitivity->quantize, sensitivity->method, so));
  }

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
        std::fprintf(log, "[ppl] skip block %d of %lld ppl %.4f\n", block,
                     static_cast<long long>(L), value);
      }
    };
    PplPassCache pass_cache;
    if (cache) {
      Hash64 h;
      h.Str("lieq diagnose ppl 1").U64(model_digest);
      h.U64(TokensDigest(std::span<const std::vector<int32_t>>(&*tokens, 1)));
      h.U64(static_cast<uint64_t>(ppl.protocol)).U64(static_cast<uint64_t>(ppl.ctx));
      h.U64(static_cast<uint64_t>(ppl.max_windows)).U64(static_cast<uint64_t>(ppl.bos_id));
      const uint64_t key = h.digest();
      const int L = static_cast<int>(d.num_blocks);
      pass_cache.load = [&cache, key, L](int block) { return cache->LoadPpl(key, block, L); };
      pass_cache.store = [&cache, key](int block, const PplPass& p) {
        cache->StorePpl(key, block, p);
      };
    }
    Result<BlockPplResult> r =
        MeasureBlockPpl(transformer, *tokens, ppl, progress, cache ? &pass_cache : nullptr);
    if (!r.ok()) return r.status().WithContext(settings.eval_text);
    d.ppl = std::move(r).value();
  }
  d.seconds_total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  d.peak_rss_mib = PeakRssMib();
  return d;
}

}  // namespace lieq
