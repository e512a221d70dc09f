#include "kernels/blas_core.h"

#include <unistd.h>

#include <cstdlib>

extern "C" char* openblas_get_corename(void);

namespace lieq {
namespace {
constexpr const char* kCoreTypeSetByLieq = "LIEQ_OPENBLAS_CORETYPE_SET";
}  // namespace

std::string ChooseOpenBlasCoreType(const CpuFeatures& cpu) {
  if (cpu.arch != "x86_64") return "";
  if (cpu.Has("avx512f") && cpu.Has("avx512bw") && cpu.Has("avx512dq") && cpu.Has("avx512vl")) {
    return "SkylakeX";
  }
  if (cpu.Has("avx2") && cpu.Has("fma")) return "Haswell";
  return "";
}

void EnsureOpenBlasCoreType(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::string core = ChooseOpenBlasCoreType(DetectCpuFeatures());
  if (core.empty()) return;
  ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  ::setenv(kCoreTypeSetByLieq, "1", 1);  // tells OpenBlasCoreSource the value is ours
  ::execv("/proc/self/exe", argv);  // on failure, carry on with OpenBLAS's own choice
}

std::string OpenBlasCoreSource() {
  const char* value = std::getenv("OPENBLAS_CORETYPE");
  if (value == nullptr) return "OpenBLAS's own choice";
  const std::string source = std::getenv(kCoreTypeSetByLieq) ? "set by lieq" : "from the environment";
  return std::string("OPENBLAS_CORETYPE=") + value + ", " + source;
}

std::string OpenBlasCoreName() {
  const char* name = openblas_get_corename();
  return name != nullptr ? name : "";
}

}  // namespace lieq
