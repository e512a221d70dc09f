#include "quant/model_quantizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

#include "kernels/matmul.h"
#include "quant/block_cache.h"
#include "quant/block_calibrator.h"
#include "quant/hessian.h"
#include "quant/pack.h"
#include "quant/quant_grid.h"
#include "runtime/kv_cache.h"
#include "runtime/transformer.h"

namespace lieq {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// H ← diag(1/s)·H·diag(1/s): the Hessian of the inputs x/s.
void ScaleHessian(std::vector<double>& h, std::span<const float> s) {
  const auto n = static_cast<int64_t>(s.size());
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) h[i * n + j] /= static_cast<double>(s[i]) * s[j];
  }
}

void ScaleColumns(std::vector<float>& w, std::span<const float> s) {
  const size_t in = s.size();
  for (size_t i = 0; i < w.size(); ++i) w[i] *= s[i % in];
}

void DivideRows(std::vector<float>& w, std::span<const float> s) {
  const size_t cols = w.size() / s.size();
  for (size_t i = 0; i < w.size(); ++i) w[i] /= s[i / cols];
}

// A norm weight or bias divided by s, as a new F32 tensor the model owns.
void DivideVector(Model& model, TensorView& v, std::span<const float> s) {
  if (v.data == nullptr) return;
  std::vector<float> values(v.F32().begin(), v.F32().end());
  for (size_t i = 0; i < values.size(); ++i) values[i] /= s[i];
  v = model.AdoptF32(v.shape, values);
}

// The block's working weights: w[p] [out, in] in F32.
using BlockF32 = std::vector<std::vector<float>>;

// AWQ on block l: searches and folds scales at every input whose producer can absorb 1/s,
// updating the block's weights, norms and the Hessians in place.
void ApplyAwq(Model& model, int l, int bits, const QuantizeOptions& options, BlockF32& w,
              std::vector<std::vector<double>>& hessians,
              const std::vector<HessianAccumulator>& stats, BlockReport& report) {
  const ModelConfig& c = model.config;
  BlockWeights& bw = model.weights.blocks[static_cast<size_t>(l)];
  auto index = [](Projection p) { return static_cast<size_t>(p); };
  auto search = [&](Site site, std::initializer_list<Projection> layers) {
    std::vector<AwqLayer> awq_layers;
    for (Projection p : layers) {
      awq_layers.push_back({w[index(p)], bw.linear(p).w.rows()});
    }
    const std::vector<double> mean_abs = stats[site].MeanAbs();
    AwqScales scales = SearchAwqScales(awq_layers, SiteWidth(site, c), hessians[site], mean_abs,
                                       bits, options.group_size, options.awq);
    for (Projection p : layers) ScaleColumns(w[index(p)], scales.s);
    ScaleHessian(hessians[site], scales.s);
    return scales;
  };

  const AwqScales attn = search(kAttnIn, {Projection::kQ, Projection::kK, Projection::kV});
  DivideVector(model, bw.attn_norm, attn.s);
  report.awq_alpha_attn = attn.alpha;
  if (c.num_heads == c.num_kv_heads) {  // v's rows are o's inputs only without GQA
    const AwqScales out = search(kAttnOut, {Projection::kO});
    DivideRows(w[index(Projection::kV)], out.s);
    DivideVector(model, bw.v.bias, out.s);
  }
  const AwqScales mlp = search(kMlpIn, {Projection::kGate, Projection::kUp});
  DivideVector(model, bw.ffn_norm, mlp.s);
  report.awq_alpha_mlp = mlp.alpha;
  const AwqScales down = search(kMlpHidden, {Projection::kDown});
  DivideRows(w[index(Projection::kUp)], down.s);
  DivideVector(model, bw.up.bias, down.s);
}

// From here on the model computes with layer p of this block packed, as a loaded quantized
// folder holds it (1/8 to 1/2 of an F32 copy's memory). Prefill decodes the packed rows to the
// floats DequantizeLinear gives; calibration windows are prefill, so later blocks are
// calibrated on the same numbers as with an F32 copy.
void UsePacked(Model& model, Linear& linear, PackedLinear q) {
  auto kept = std::make_shared<const PackedLinear>(std::move(q));
  linear.packed = kept->view();
  linear.w = TensorView{DType::kF32, linear.w.shape, nullptr};
  model.kept.push_back(std::move(kept));
}

// The tensors AWQ may replace by F32 copies (DivideVector), in the cache's vector order.
std::vector<TensorView*> FoldedVectors(BlockWeights& bw) {
  return {&bw.attn_norm, &bw.ffn_norm, &bw.v.bias, &bw.up.bias};
}

}  // namespace

void WarnOf(const QuantizeOptions& options, const std::string& message) {
  if (options.warn) {
    options.warn(message);
  } else {
    std::fprintf(stderr, "warning: %s\n", message.c_str());
  }
}

std::vector<uint64_t> BlockCacheKeys(Model& model, const QuantizeOptions& o) {
  CacheHasher base;
  // 2: calibration streams kept in BF16 between blocks.
  base.Str("lieq block cache 2").Str(o.cache_salt).Str(QuantMethodName(o.method));
  base.U64(static_cast<uint64_t>(o.group_size));
  base.U64(o.rtn_clip.search)
      .U64(static_cast<uint64_t>(o.rtn_clip.steps))
      .F64(o.rtn_clip.max_shrink);
  base.F64(o.gptq.damp).U64(static_cast<uint64_t>(o.gptq.block_size)).U64(o.gptq.act_order);
  base.U64(static_cast<uint64_t>(o.awq.grid));
  base.U64(o.calibration_kernels.fast_prefill);
  base.U64(o.calibration.size());
  for (const auto& window : o.calibration) {
    base.Bytes(window.data(), window.size() * sizeof(int32_t));
  }
  const auto num_blocks = static_cast<size_t>(model.config.num_layers);
  std::vector<CacheHasher> blocks(num_blocks);
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    // Embeddings feed block 0; the final norm and head do not enter any block.
    if (slot.block < 0 && slot.view != &model.weights.embed) return;
    CacheHasher& h = slot.block < 0 ? base : blocks[static_cast<size_t>(slot.block)];
    h.Str(slot.hf_name).U64(static_cast<uint64_t>(slot.view->dtype));
    for (int64_t dim : slot.view->shape) h.U64(static_cast<uint64_t>(dim));
    if (slot.view->data != nullptr) {
      h.Bytes(slot.view->data, static_cast<size_t>(slot.view->SizeBytes()));
      model.ReleasePages(*slot.view);  // read again block by block, when it is quantized
    }
  });
  std::vector<uint64_t> keys(num_blocks);
  uint64_t chain = base.digest();
  for (size_t l = 0; l < num_blocks; ++l) {
    chain = CacheHasher()
                .U64(chain)
                .U64(l)
                .U64(static_cast<uint64_t>(o.bits[l]))
                .U64(blocks[l].digest())
                .digest();
    keys[l] = chain;
  }
  return keys;
}

Result<QuantMethod> ParseQuantMethod(const std::string& name) {
  if (name == "rtn") return QuantMethod::kRtn;
  if (name == "gptq") return QuantMethod::kGptq;
  if (name == "awq") return QuantMethod::kAwq;
  if (name == "awq+gptq") return QuantMethod::kAwqGptq;
  return InvalidArgument("--method must be rtn, gptq, awq or awq+gptq, got '" + name + "'");
}

const char* QuantMethodName(QuantMethod method) {
  switch (method) {
    case QuantMethod::kRtn:
      return "rtn";
    case QuantMethod::kGptq:
      return "gptq";
    case QuantMethod::kAwq:
      return "awq";
    case QuantMethod::kAwqGptq:
      return "awq+gptq";
  }
  return "?";
}

Status ValidateQuantizeOptions(const QuantizeOptions& options, const ModelConfig& config) {
  if (static_cast<int64_t>(options.bits.size()) != config.num_layers) {
    return InvalidArgument("the bit plan has " + std::to_string(options.bits.size()) +
                           " blocks but the model has " + std::to_string(config.num_layers));
  }
  for (size_t l = 0; l < options.bits.size(); ++l) {
    const int b = options.bits[l];
    if (b != 0 && b != 2 && b != 3 && b != 4 && b != 8) {
      return InvalidArgument("bits[" + std::to_string(l) + "] = " + std::to_string(b) +
                             " is not a supported width (2, 3, 4, 8)");
    }
  }
  const int g = options.group_size;
  if (g != 32 && g != 64 && g != 128) {
    return InvalidArgument("group size " + std::to_string(g) + " is not supported (32, 64, 128)");
  }
  for (int64_t in : {config.hidden_size, config.q_dim(), config.intermediate_size}) {
    if (in % g != 0) {
      return InvalidArgument("group size " + std::to_string(g) +
                             " does not divide a linear layer's input dimension " +
                             std::to_string(in));
    }
  }
  if (NeedsCalibration(options.method)) {
    if (options.calibration.empty()) {
      return InvalidArgument(std::string(QuantMethodName(options.method)) +
                             " needs calibration windows");
    }
    const size_t n = options.calibration[0].size();
    for (const auto& window : options.calibration) {
      if (window.size() != n || n == 0)
        return InvalidArgument("calibration windows must be non-empty and of one length");
    }
    if (config.max_position_embeddings > 0 &&
        static_cast<int64_t>(n) > config.max_position_embeddings) {
      return InvalidArgument(
          "calibration windows of " + std::to_string(n) + " tokens exceed the model's context of " +
          std::to_string(config.max_position_embeddings) + " (lower --calib-seq)");
    }
  }
  return Status::Ok();
}

Status QuantizeModel(Model& model, const QuantizeOptions& options, ThreadPool& pool) {
  LIEQ_RETURN_IF_ERROR(ValidateQuantizeOptions(options, model.config));
  const bool calibrate = NeedsCalibration(options.method);
  const bool awq = options.method == QuantMethod::kAwq || options.method == QuantMethod::kAwqGptq;
  const bool gptq = options.method == QuantMethod::kGptq || options.method == QuantMethod::kAwqGptq;
  BlockCalibrator calibrator(model, pool, options.calibration, options.calibration_kernels);
  if (calibrate) LIEQ_RETURN_IF_ERROR(calibrator.Embed());

  std::optional<BlockCache> cache;
  std::vector<uint64_t> keys;
  if (!options.cache_dir.empty()) {
    cache.emplace(options.cache_dir);
    LIEQ_RETURN_IF_ERROR(cache->Open());
    keys = BlockCacheKeys(model, options);
  }
  auto warn = [&](const std::string& message) { WarnOf(options, message); };

  for (int l = 0; l < static_cast<int>(model.config.num_layers); ++l) {
    BlockReport report;
    report.block = l;
    report.bits = options.bits[static_cast<size_t>(l)];
    BlockWeights& bw = model.weights.blocks[static_cast<size_t>(l)];
    if (report.bits == 0) {  // kept in full precision
      if (calibrate) calibrator.Propagate(l);
      for (Projection p : kAllProjections) model.ReleasePages(bw.linear(p).w);
      if (options.progress) options.progress(report);
      continue;
    }
    for (Projection p : kAllProjections) {
      if (bw.linear(p).is_packed()) return InvalidArgument("the model is already quantized");
    }
    auto start = std::chrono::steady_clock::now();
    std::vector<TensorView*> vectors = FoldedVectors(bw);
    if (cache) {
      CachedBlockShape expect;
      expect.bits = report.bits;
      expect.group_size = options.group_size;
      for (Projection p : kAllProjections) {
        expect.linears.emplace_back(bw.linear(p).w.rows(), bw.linear(p).w.cols());
      }
      for (const TensorView* v : vectors) expect.vector_sizes.push_back(v->NumElements());
      CachedBlock hit;
      Result<bool> loaded = cache->Load(l, keys[static_cast<size_t>(l)], expect, &hit);
      if (!loaded.ok()) {
        warn(loaded.status().message() + " (ignored: block " + std::to_string(l) +
             " is quantized again)");
      } else if (*loaded) {
        for (size_t i = 0; i < vectors.size(); ++i) {
          if (!hit.vectors[i].empty()) {
            *vectors[i] = model.AdoptF32(vectors[i]->shape, hit.vectors[i]);
          }
        }
        for (Projection p : kAllProjections) {
          UsePacked(model, bw.linear(p), std::move(hit.linears[static_cast<size_t>(p)]));
        }
        report.cached = true;
        if (calibrate) calibrator.Propagate(l);
        report.calib_seconds = Seconds(start);
        if (options.progress) options.progress(report);
        continue;
      }
    }
    std::vector<const void*> before;
    for (const TensorView* v : vectors) before.push_back(v->data);
    std::vector<HessianAccumulator> stats;
    std::vector<std::vector<double>> hessians;
    if (calibrate) {
      stats = calibrator.Collect(l);
      for (HessianAccumulator& s : stats) {  // AWQ reads the accumulators again; GPTQ does not
        hessians.push_back(awq ? s.Hessian() : s.TakeHessian());
      }
    }
    report.calib_seconds = Seconds(start);
    start = std::chrono::steady_clock::now();

    BlockF32 w;
    for (Projection p : kAllProjections) {
      w.push_back(ToF32(bw.linear(p).w));
      model.ReleasePages(bw.linear(p).w);  // the source layer is not read again
    }
    if (awq) ApplyAwq(model, l, report.bits, options, w, hessians, stats, report);

    std::vector<PackedLinear> out(std::size(kAllProjections));
    const IntGrid grid(report.bits);
    if (gptq) {
      for (Projection p : kAllProjections) {
        const size_t i = static_cast<size_t>(p);
        const TensorView& shape = bw.linear(p).w;
        Result<PackedLinear> q = GptqQuantize(w[i], shape.rows(), shape.cols(), hessians[SiteOf(p)],
                                              grid, options.group_size, options.gptq);
        if (!q.ok()) {
          return q.status().WithContext("block " + std::to_string(l) + " " + ProjectionName(p));
        }
        out[i] = std::move(q).value();
      }
    } else {
      pool.ParallelFor(static_cast<int64_t>(std::size(kAllProjections)), [&](int64_t i) {
        const Projection p = kAllProjections[i];
        const TensorView& shape = bw.linear(p).w;
        if (awq) {  // AWQ's clipping: ratios chosen on the layer's output error
          ClipOptions clip;
          clip.search = true;
          out[static_cast<size_t>(i)] =
              RtnQuantize(w[static_cast<size_t>(i)], shape.rows(), shape.cols(), report.bits,
                          options.group_size, clip, hessians[SiteOf(p)]);
        } else {
          out[static_cast<size_t>(i)] =
              RtnQuantize(w[static_cast<size_t>(i)], shape.rows(), shape.cols(), report.bits,
                          options.group_size, options.rtn_clip);
        }
      });
    }
    report.quant_seconds = Seconds(start);
    if (cache) {
      CachedBlock result;
      result.linears = out;
      for (size_t i = 0; i < vectors.size(); ++i) {
        const bool replaced = vectors[i]->data != before[i];
        result.vectors.push_back(replaced ? ToF32(*vectors[i]) : std::vector<float>{});
      }
      const Status stored = cache->Store(l, keys[static_cast<size_t>(l)], result);
      if (!stored.ok()) warn(stored.message() + " (block " + std::to_string(l) + " not cached)");
    }
    for (Projection p : kAllProjections)
      UsePacked(model, bw.linear(p), std::move(out[static_cast<size_t>(p)]));
    if (calibrate) {
      start = std::chrono::steady_clock::now();
      calibrator.Propagate(l);
      report.calib_seconds += Seconds(start);
    }
    if (options.progress) options.progress(report);
  }
  return Status::Ok();
}

}  // namespace lieq
