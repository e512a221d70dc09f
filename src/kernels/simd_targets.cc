#include "kernels/simd_targets.h"

#include <cstdint>
#include <cstdlib>

#include "hwy/targets.h"
#include "kernels/blas_core.h"
#include "kernels/gemm_bf16.h"
#include "kernels/gemm_q8.h"
#include "kernels/vec_dot.h"

namespace lieq {
namespace {

std::vector<std::string> TargetNames(int64_t targets) {
  std::vector<std::string> names;
  for (int64_t bit = 1; bit != 0 && bit <= targets; bit <<= 1) {  // lower bit = better target
    if (targets & bit) names.emplace_back(hwy::TargetName(bit));
  }
  return names;
}

std::string DotKinds() {
  std::string out;
  for (DType type : {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K,
                     DType::kQ8_0, DType::kQ4_0, DType::kQ4_1}) {
    if (!out.empty()) out += ", ";
    out += std::string(Name(type)) + " " + VecDotSimdKind(type);
  }
  return out;
}

}  // namespace

SimdReport MakeSimdReport() {
  SimdReport r;
  r.cpu = DetectCpuFeatures();
  r.compiled_targets = TargetNames(HWY_TARGETS);
  r.supported_targets = TargetNames(hwy::SupportedTargets() & HWY_TARGETS);
  r.families = {
      {"float gemv (decode, F32/BF16/F16 weights)", GemvSimdTarget(), ""},
      {"integer dot (decode, packed weights)", VecDotSimdTarget(), DotKinds()},
      {"row decode (prefill, packed weights)", RowDecodeSimdTarget(), ""},
      {"widen BF16/F16 (prefill)", WidenSimdTarget(), ""},
      {"int8 gemm (fast prefill, packed weights)", GemmQ8Target(), GemmQ8Kind()},
      {"bf16 gemm (fast prefill, BF16 weights)", GemmBf16Target(),
       GemmBf16Supported() ? "vdpbf16ps" : "none: widen + sgemm"},
      {"sgemm (prefill)", "OpenBLAS",
       "core " + OpenBlasCoreName() + " (" + OpenBlasCoreSource() + ")"},
  };
  return r;
}

nlohmann::json ToJson(const SimdReport& r) {
  nlohmann::json families = nlohmann::json::array();
  for (const KernelFamilyTarget& f : r.families) {
    families.push_back({{"family", f.family}, {"target", f.target}, {"detail", f.detail}});
  }
  return {{"cpu",
           {{"arch", r.cpu.arch},
            {"vendor", r.cpu.vendor},
            {"model_name", r.cpu.model_name},
            {"family", r.cpu.family},
            {"model", r.cpu.model},
            {"flags", r.cpu.flags}}},
          {"openblas_coretype_choice", ChooseOpenBlasCoreType(r.cpu)},
          {"simd_targets_compiled", r.compiled_targets},
          {"simd_targets_supported", r.supported_targets},
          {"kernels", families}};
}

std::string ToText(const SimdReport& r) {
  std::string out = "cpu: " + (r.cpu.model_name.empty() ? r.cpu.arch : r.cpu.model_name);
  if (r.cpu.family != 0) {
    out += " (" + r.cpu.vendor + " family " + std::to_string(r.cpu.family) + " model " +
           std::to_string(r.cpu.model) + ")";
  }
  out += "\ncpu features:";
  for (const std::string& f : r.cpu.flags) out += " " + f;
  out += "\nsimd targets compiled:";
  for (const std::string& t : r.compiled_targets) out += " " + t;
  out += "\nsimd targets this cpu runs:";
  for (const std::string& t : r.supported_targets) out += " " + t;
  out += "\nkernels:";
  for (const KernelFamilyTarget& f : r.families) {
    out += "\n  " + f.family + ": " + f.target + (f.detail.empty() ? "" : " [" + f.detail + "]");
  }
  return out + "\n";
}

}  // namespace lieq
