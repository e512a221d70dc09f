// Which SIMD code runs on this CPU: every kernel family is compiled for several targets (Highway
// run-time dispatch) and picks one when first called. `lieq --version` prints this report.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cpu_features.h"

namespace lieq {

// The Highway target each kernel family dispatches to ("AVX3_DL", "AVX2", "SSE4", "NEON", ...).
const char* GemvSimdTarget();       // float/BF16/F16 matrix × few vectors (matmul_gemv.cc)
const char* WidenSimdTarget();      // BF16/F16 panels to F32 for the prefill sgemm
const char* RowDecodeSimdTarget();  // packed rows (K-quants, group format) to floats

struct KernelFamilyTarget {
  std::string family;  // e.g. "integer dot (decode)"
  std::string target;  // Highway target name, or the library for BLAS
  std::string detail;  // per-format kernels, BLAS core, ...
};

struct SimdReport {
  CpuFeatures cpu;
  std::vector<std::string> compiled_targets;   // what this binary holds, best first
  std::vector<std::string> supported_targets;  // of those, what this CPU runs, best first
  std::vector<KernelFamilyTarget> families;
};

SimdReport MakeSimdReport();
nlohmann::json ToJson(const SimdReport& report);
std::string ToText(const SimdReport& report);

}  // namespace lieq
