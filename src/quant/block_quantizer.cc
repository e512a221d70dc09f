#include "quant/block_quantizer.h"

#include <algorithm>
#include <cstdio>

#include "kernels/blas_threads.h"
#include "kernels/matmul.h"
#include "plan/bit_plan.h"
#include "quant/block_calibrator.h"
#include "quant/gptq.h"
#include "quant/hessian.h"
#include "quant/pack.h"
#include "quant/quant_grid.h"
#include "quant/rtn.h"

namespace lieq {

std::string BlockQuantizerName(const QuantizeOptions& o) {
  char text[160];
  if (o.method == QuantMethod::kGptq) {
    std::snprintf(text, sizeof text, "gptq g%d damp %g block %lld%s", o.group_size, o.gptq.damp,
                  static_cast<long long>(o.gptq.block_size), o.gptq.act_order ? " act-order" : "");
  } else {
    std::snprintf(text, sizeof text, "%s g%d%s", QuantMethodName(o.method), o.group_size,
                  o.rtn_clip.search ? " clip-search" : "");
  }
  return text;
}

Result<BlockQuantizerFn> MakeBlockQuantizer(const Model& model, const QuantizeOptions& options,
                                            ThreadPool& pool) {
  if (options.method != QuantMethod::kRtn && options.method != QuantMethod::kGptq) {
    return InvalidArgument(
        std::string("measured sensitivity supports --method rtn and gptq, not ") +
        QuantMethodName(options.method));
  }
  QuantizeOptions check = options;   // group size against the shapes; widths come per call and
  check.method = QuantMethod::kRtn;  // the windows from the caller's run_block
  check.bits.assign(static_cast<size_t>(model.config.num_layers), 2);
  LIEQ_RETURN_IF_ERROR(ValidateQuantizeOptions(check, model.config));
  return BlockQuantizerFn([&model, options, &pool](
                              int l, int bits,
                              const std::function<void(const ForwardHooks&)>& run_block)
                              -> Result<std::vector<std::vector<float>>> {
    const BlockWeights& bw = model.weights.blocks[static_cast<size_t>(l)];
    std::vector<std::vector<double>> hessians;
    if (options.method == QuantMethod::kGptq) {
      // One BLAS thread while the Hessians are summed and GPTQ runs: OpenBLAS splits sums by
      // its thread count, and the measurement must not depend on -t (as the proxy's Grams).
      SetBlasThreads(1);
      std::vector<HessianAccumulator> stats;
      for (int site = 0; site < kNumSites; ++site) {
        stats.emplace_back(SiteWidth(site, model.config));
      }
      ForwardHooks hooks;
      hooks.linear_input = [&](int, Projection p, const float* x, int64_t n, int64_t) {
        // q/k/v and gate/up see the same pointer: count each input once.
        if (p == Projection::kQ || p == Projection::kO || p == Projection::kGate ||
            p == Projection::kDown) {
          stats[SiteOf(p)].Add(x, n);
        }
      };
      run_block(hooks);
      for (const HessianAccumulator& s : stats) hessians.push_back(s.Hessian());
    }
    std::vector<std::vector<float>> out(std::size(kAllProjections));
    auto weights = [&](Projection p) {
      const TensorView& w = bw.linear(p).w;
      std::vector<float> f(static_cast<size_t>(w.NumElements()));
      RowsToF32(w, 0, w.rows(), f.data());
      return f;
    };
    if (options.method == QuantMethod::kGptq) {  // one layer at a time, as QuantizeModel
      for (Projection p : kAllProjections) {
        const TensorView& w = bw.linear(p).w;
        Result<PackedLinear> q = GptqQuantize(weights(p), w.rows(), w.cols(), hessians[SiteOf(p)],
                                              IntGrid(bits), options.group_size, options.gptq);
        if (!q.ok()) {
          SetBlasThreads(pool.size());
          return q.status().WithContext(ProjectionName(p));
        }
        out[static_cast<size_t>(p)] = DequantizeLinear(*q);
      }
      SetBlasThreads(pool.size());
    } else {
      pool.ParallelFor(static_cast<int64_t>(std::size(kAllProjections)), [&](int64_t i) {
        const Projection p = kAllProjections[i];
        const TensorView& w = bw.linear(p).w;
        out[static_cast<size_t>(i)] = DequantizeLinear(RtnQuantize(
            weights(p), w.rows(), w.cols(), bits, options.group_size, options.rtn_clip));
      });
    }
    return out;
  });
}

Result<SensitivityRequest> MakeSensitivityRequest(const Model& model, const std::string& method,
                                                  int group_size, ThreadPool& pool) {
  QuantizeOptions options;
  Result<QuantMethod> m = ParseQuantMethod(method);
  if (!m.ok()) return m.status().WithContext("--sensitivity-method");
  options.method = *m;
  // A group that does not divide the model's shapes falls back as in `lieq quantize`; the
  // method name records the group used.
  if (std::find(std::begin(kSupportedGroupSizes), std::end(kSupportedGroupSizes), group_size) ==
      std::end(kSupportedGroupSizes)) {
    return InvalidArgument("group size " + std::to_string(group_size) +
                           " is not supported (32, 64, 128)");
  }
  options.group_size = FitGroupSize(model.config, group_size);
  if (options.group_size == 0) {
    return InvalidArgument(
        "no supported group size (32, 64, 128) divides the model's linear "
        "input dimensions");
  }
  SensitivityRequest request;
  LIEQ_ASSIGN_OR_RETURN(request.quantize, MakeBlockQuantizer(model, options, pool));
  request.method = BlockQuantizerName(options);
  return request;
}

}  // namespace lieq
