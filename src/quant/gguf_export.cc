#include "quant/gguf_export.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

#include "io/gguf_model.h"
#include "kernels/matmul.h"
#include "quant/block_cache.h"
#include "quant/block_calibrator.h"
#include "quant/embed_head.h"
#include "quant/hessian.h"
#include "quant/kquant_gptq.h"
#include "runtime/kv_cache.h"
#include "runtime/transformer.h"

namespace lieq {
namespace {

// GPTQ fits plain min–max block parameters: its error feedback moves the weights after the fit,
// and on correlated synthetic layers (tests/quant/kquant_grid_test.cc) the clip search and the
// scale refinement, which help RTN by 2-40%, left GPTQ's output error 5-10% higher for Q2_K and
// Q4_K.
constexpr KFitOptions kGptqFit{.clip_search = false, .refine_scales = false};

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TensorView AdoptBytes(Model& model, DType type, const Shape& shape, const void* bytes) {
  OwnedTensor t = OwnedTensor::Zeros(type, shape);
  std::memcpy(
      t.buffer.data(), bytes,
      static_cast<size_t>(RowBytes(type, shape.back()) * (t.view().NumElements() / shape.back())));
  return model.Adopt(std::move(t));
}

Status CheckOptions(const QuantizeOptions& q, const GgufExportOptions& o, const ModelConfig& c) {
  if (q.method != QuantMethod::kRtn && q.method != QuantMethod::kGptq) {
    return Unimplemented(std::string("--format gguf supports --method rtn and gptq, not ") +
                         QuantMethodName(q.method));
  }
  if (static_cast<int64_t>(q.bits.size()) != c.num_layers) {
    return InvalidArgument("the bit plan has " + std::to_string(q.bits.size()) +
                           " blocks but the model has " + std::to_string(c.num_layers));
  }
  for (size_t l = 0; l < q.bits.size(); ++l) {
    if (q.bits[l] == 0) continue;
    Result<DType> type = GgufTypeForBits(q.bits[l], c.hidden_size);
    if (!type.ok()) return type.status().WithContext("bits[" + std::to_string(l) + "]");
  }
  LIEQ_RETURN_IF_ERROR(CheckEmbedHeadTypes({o.head_type, o.embed_type}));
  if (q.method == QuantMethod::kGptq) {
    if (q.calibration.empty() || q.calibration[0].empty()) {
      return InvalidArgument("gptq needs calibration windows");
    }
    for (const auto& w : q.calibration) {
      if (w.size() != q.calibration[0].size()) {
        return InvalidArgument("calibration windows must be of one length");
      }
    }
  }
  return Status::Ok();
}

// Block l from the resume cache, when a sound entry is there: its layers compute with the
// decoded values (bit-identical to what the quantizer fed back) and its bytes join `quantized`.
// A corrupt entry is reported and the block quantized again.
Result<bool> LoadCachedBlock(Model& model, const BlockCache& cache, int l,
                             const std::vector<uint64_t>& keys, int bits,
                             const QuantizeOptions& quant,
                             std::vector<std::vector<GridQuantizedLinear>>& quantized) {
  BlockWeights& bw = model.weights.blocks[static_cast<size_t>(l)];
  std::vector<GridQuantizedLinear> expect;
  for (Projection p : kAllProjections) {
    GridQuantizedLinear& e = expect.emplace_back();
    e.rows = bw.linear(p).w.rows();
    e.cols = bw.linear(p).w.cols();
    LIEQ_ASSIGN_OR_RETURN(e.type, GgufTypeForBits(bits, e.cols));
  }
  CachedGridBlock hit;
  const Result<bool> loaded = cache.LoadGrid(l, keys[static_cast<size_t>(l)], expect, &hit);
  if (!loaded.ok()) {
    WarnOf(quant, loaded.status().message() + " (ignored: block " + std::to_string(l) +
                      " is quantized again)");
    return false;
  }
  if (!*loaded) return false;
  for (Projection p : kAllProjections) {
    Linear& linear = bw.linear(p);
    const GridQuantizedLinear& q = hit.linears[static_cast<size_t>(p)];
    linear.w =
        model.AdoptF32(linear.w.shape, ToF32(TensorView{q.type, linear.w.shape, q.data.data()}));
  }
  quantized[static_cast<size_t>(l)] = std::move(hit.linears);
  return true;
}

}  // namespace

Result<DType> GgufTypeForBits(int bits, int64_t in) {
  for (const GgufTypeRule& rule : kGgufTypeRules) {
    if (rule.bits == bits) return in % Info(rule.type).block_size == 0 ? rule.type : rule.fallback;
  }
  std::string widths;
  for (const GgufTypeRule& rule : kGgufTypeRules) {
    widths += (widths.empty() ? "" : ", ") + std::to_string(rule.bits);
  }
  return InvalidArgument("width " + std::to_string(bits) + " has no GGUF type (" + widths +
                         " have)");
}

DType FitTypeToRow(DType type, int64_t in) {
  if (in % Info(type).block_size == 0) return type;
  for (const GgufTypeRule& rule : kGgufTypeRules) {
    if (rule.type == type) return rule.fallback;
  }
  return DType::kQ8_0;
}

Result<DType> ParseGgufTensorType(const std::string& name, const std::string& flag) {
  std::string lower = name;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const DType t :
       {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_1,
        DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    std::string n(Name(t));
    for (char& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (n == lower) return t;
  }
  return InvalidArgument(flag + " '" + name +
                         "' is not a type (f32, f16, bf16, q8_0, q4_0, q4_1, q2_k, q3_k, q4_k, "
                         "q5_k, q6_k)");
}

std::string DescribeGgufExport(const GgufExportReport& report, const std::string& path) {
  std::map<std::string, std::pair<int64_t, int64_t>> by_type;  // name -> tensors, bytes
  for (const GgufTensorReport& t : report.tensors) {
    auto& [count, bytes] = by_type[std::string(Name(t.type))];
    ++count;
    bytes += t.bytes;
  }
  std::string out;
  char line[320];
  for (const auto& [name, v] : by_type) {
    std::snprintf(line, sizeof(line), "  %-5s %4lld tensors %12lld bytes\n", name.c_str(),
                  static_cast<long long>(v.first), static_cast<long long>(v.second));
    out += line;
  }
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, std::string>> fell_back;
  for (const GgufTypeFallback& f : report.fallbacks) {
    auto& [count, first] = fell_back[{std::string(Name(f.wanted)), std::string(Name(f.used))}];
    if (count++ == 0) first = f.tensor;
  }
  for (const auto& [types, v] : fell_back) {
    std::snprintf(line, sizeof(line),
                  "  fallback %s -> %s: %lld tensors (rows do not fit %s blocks; e.g. %s)\n",
                  types.first.c_str(), types.second.c_str(), static_cast<long long>(v.first),
                  types.first.c_str(), v.second.c_str());
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "wrote %s: %lld bytes (tensors %lld bytes), %lld weights, %.4f bits per weight\n",
                path.c_str(), static_cast<long long>(report.file_bytes),
                static_cast<long long>(report.tensor_bytes), static_cast<long long>(report.weights),
                report.bits_per_weight());
  return out + line;
}

GgufExportReport SizeGgufTensors(Model& model) {
  GgufExportReport report;
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    GgufTensorReport t;
    t.name = slot.gguf_name;
    t.type = slot.is_vector ? DType::kF32 : slot.view->dtype;
    t.elements = 1;
    for (int64_t d : slot.shape) t.elements *= d;
    t.bytes = RowBytes(t.type, slot.shape.back()) * (t.elements / slot.shape.back());
    report.tensor_bytes += t.bytes;
    report.weights += t.elements;
    report.tensors.push_back(std::move(t));
  });
  return report;
}

Result<GgufExportReport> ExportGguf(Model& model, const QuantizeOptions& quant,
                                    const GgufExportOptions& options, const std::string& path,
                                    ThreadPool& pool) {
  LIEQ_RETURN_IF_ERROR(CheckOutputWritable(path, options.write));
  ModelConfig& c = model.config;
  LIEQ_RETURN_IF_ERROR(CheckOptions(quant, options, c));
  const bool gptq = quant.method == QuantMethod::kGptq;
  BlockCalibrator calibrator(model, pool, quant.calibration, quant.calibration_kernels);
  if (gptq) LIEQ_RETURN_IF_ERROR(calibrator.Embed());

  // [block][projection]: the GGUF bytes, installed once every block is done (until then the
  // model computes with the same values in F32, which the calibration pushes through).
  std::vector<std::vector<GridQuantizedLinear>> quantized(static_cast<size_t>(c.num_layers));
  std::map<const TensorView*, DType> wanted;  // the type each quantized tensor was asked for
  std::optional<BlockCache> cache;
  std::vector<uint64_t> keys;
  if (!quant.cache_dir.empty()) {
    cache.emplace(quant.cache_dir);
    LIEQ_RETURN_IF_ERROR(cache->Open());
    QuantizeOptions keyed = quant;
    keyed.cache_salt += "\ngguf export 1";  // other entries, other grids: never the folder's
    keys = BlockCacheKeys(model, keyed);
  }
  for (int l = 0; l < static_cast<int>(c.num_layers); ++l) {
    BlockReport report;
    report.block = l;
    report.bits = quant.bits[static_cast<size_t>(l)];
    BlockWeights& bw = model.weights.blocks[static_cast<size_t>(l)];
    auto start = std::chrono::steady_clock::now();
    if (report.bits == 0) {
      if (gptq) calibrator.Propagate(l);
      if (quant.progress) quant.progress(report);
      continue;
    }
    for (Projection p : kAllProjections) {
      Linear& linear = bw.linear(p);
      if (linear.is_packed()) return InvalidArgument("the model is already quantized");
      // Zero columns fit every type: the rule's own type, before fitting.
      LIEQ_ASSIGN_OR_RETURN(wanted[&linear.w], GgufTypeForBits(report.bits, 0));
    }
    if (cache) {
      LIEQ_ASSIGN_OR_RETURN(const bool hit,
                            LoadCachedBlock(model, *cache, l, keys, report.bits, quant, quantized));
      if (hit) {
        report.cached = true;
        if (gptq) calibrator.Propagate(l);
        report.calib_seconds = SecondsSince(start);
        if (quant.progress) quant.progress(report);
        continue;
      }
    }
    std::vector<std::vector<double>> hessians;
    if (gptq) {
      for (const HessianAccumulator& site : calibrator.Collect(l))
        hessians.push_back(site.Hessian());
    }
    report.calib_seconds = SecondsSince(start);
    start = std::chrono::steady_clock::now();
    for (Projection p : kAllProjections) {
      Linear& linear = bw.linear(p);
      const int64_t rows = linear.w.rows(), cols = linear.w.cols();
      LIEQ_ASSIGN_OR_RETURN(DType type, GgufTypeForBits(report.bits, cols));
      LIEQ_ASSIGN_OR_RETURN(KQuantGrid grid,
                            KQuantGrid::Create(type, gptq ? kGptqFit : KFitOptions{}));
      const std::vector<float> w = ToF32(linear.w);
      const std::span<const double> h =
          gptq ? std::span<const double>(hessians[SiteOf(p)]) : std::span<const double>();
      Result<GridQuantizedLinear> q = QuantizeInGrid(w, rows, cols, h, grid, quant.gptq, pool);
      if (!q.ok()) {
        return q.status().WithContext("block " + std::to_string(l) + " " + ProjectionName(p));
      }
      linear.w = model.AdoptF32(linear.w.shape, q->values);
      q->values = {};
      quantized[static_cast<size_t>(l)].push_back(std::move(q).value());
    }
    report.quant_seconds = SecondsSince(start);
    if (cache) {
      const Status stored =
          cache->StoreGrid(l, keys[static_cast<size_t>(l)], {quantized[static_cast<size_t>(l)]});
      if (!stored.ok())
        WarnOf(quant, stored.message() + " (block " + std::to_string(l) + " not cached)");
    }
    if (gptq) {
      start = std::chrono::steady_clock::now();
      calibrator.Propagate(l);
      report.calib_seconds += SecondsSince(start);
    }
    if (quant.progress) quant.progress(report);
  }
  for (size_t l = 0; l < quantized.size(); ++l) {
    for (size_t i = 0; i < quantized[l].size(); ++i) {
      const GridQuantizedLinear& q = quantized[l][i];
      Linear& linear = model.weights.blocks[l].linear(kAllProjections[i]);
      linear.w = AdoptBytes(model, q.type, linear.w.shape, q.data.data());
    }
  }
  quantized.clear();

  // Embeddings and head: RTN in the chosen grids.
  LIEQ_RETURN_IF_ERROR(
      QuantizeEmbedHead(model, {options.head_type, options.embed_type}, pool, &wanted));

  GgufWriteOptions write;
  write.name = options.name;
  write.write = options.write;
  LIEQ_RETURN_IF_ERROR(WriteGgufModel(model, path, write));
  GgufExportReport report = SizeGgufTensors(model);
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    const auto it = wanted.find(slot.view);
    if (it != wanted.end() && it->second != slot.view->dtype) {
      report.fallbacks.push_back({slot.gguf_name, it->second, slot.view->dtype});
    }
  });
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  report.file_bytes = ec ? 0 : static_cast<int64_t>(size);
  return report;
}

}  // namespace lieq
