// Resume cache of `lieq diagnose --cache-dir DIR` (docs/RELIABILITY.md, "Interrupted runs").
// Every finished unit of work is stored atomically as one small JSON file named by a key that
// hashes everything its result depends on:
//   DIR/<key>-proxy-block<l>.json  one block's compactness units (MeasureCompactness)
//   DIR/<key>-ppl-base.json        the base perplexity pass (MeasureBlockPpl)
//   DIR/<key>-ppl-skip<l>.json     the pass with block l skipped
//   DIR/<key>-kl-block<l>-b<b>.json the measured KL with only block l at b bits (sensitivity.h)
// Doubles are written with 17 significant digits (exact round trip; NaN as null). A file that
// does not parse or does not match is reported as a warning and the unit is measured again.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/block_ppl.h"
#include "analysis/compactness.h"
#include "core/status.h"
#include "model/model.h"

namespace lieq {

// A hash of the model's architecture and the bytes of every weight.
uint64_t ModelWeightsDigest(const Model& model);

// A hash of token windows (calibration samples or the eval text's tokens).
uint64_t TokensDigest(std::span<const std::vector<int32_t>> windows);

class DiagnoseCache {
 public:
  // Creates the folder. Warnings and "cached" lines go to `log` when not null.
  static Result<DiagnoseCache> Open(std::string dir, std::FILE* log);

  // proxy_key: model, calibration tokens and every proxy setting; ppl_key: model, eval tokens
  // and the perplexity settings (ModelWeightsDigest, TokensDigest plus the settings).
  std::optional<BlockCompactness> LoadProxy(uint64_t key, int block, int blocks,
                                            int twin_seeds) const;
  void StoreProxy(uint64_t key, int block, const BlockCompactness& result) const;
  std::optional<PplPass> LoadPpl(uint64_t key, int block, int blocks) const;  // block −1: base
  void StorePpl(uint64_t key, int block, const PplPass& pass) const;
  // kl_key: model, calibration tokens and the quantizer's name with its options.
  std::optional<double> LoadKl(uint64_t key, int block, int bits, int blocks) const;
  void StoreKl(uint64_t key, int block, int bits, double kl) const;

  std::string ProxyPath(uint64_t key, int block) const;
  std::string PplPath(uint64_t key, int block) const;
  std::string KlPath(uint64_t key, int block, int bits) const;

 private:
  DiagnoseCache(std::string dir, std::FILE* log) : dir_(std::move(dir)), log_(log) {}
  void Warn(const std::string& message) const;

  std::string dir_;
  std::FILE* log_ = nullptr;
};

}  // namespace lieq
