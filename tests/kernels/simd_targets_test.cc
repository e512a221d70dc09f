// The run-time SIMD choice: CPU features read by lieq agree with Highway's own CPUID reading, each
// kernel family reports a target this CPU runs, the AVX512-VNNI Q2_K kernel is in use exactly where
// the CPU has it, and the OpenBLAS core is chosen from the features.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/cpu_features.h"
#include "hwy/targets.h"
#include "kernels/blas_core.h"
#include "kernels/simd_targets.h"
#include "kernels/vec_dot.h"

namespace lieq {
namespace {

bool Supported(int64_t target) { return (hwy::SupportedTargets() & target) != 0; }

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(CpuFeatures, AgreeWithHighwaysTargets) {
  const CpuFeatures cpu = DetectCpuFeatures();
#if HWY_ARCH_X86_64
  EXPECT_EQ(cpu.arch, "x86_64");
  EXPECT_FALSE(cpu.vendor.empty());
  EXPECT_TRUE(cpu.Has("sse4_2")) << "x86-64-v2 is the build's baseline";
  EXPECT_EQ(Supported(HWY_AVX2), cpu.Has("avx2") && cpu.Has("fma") && cpu.Has("bmi2") &&
                                     cpu.Has("f16c"));
  EXPECT_EQ(Supported(HWY_AVX3), cpu.Has("avx512f") && cpu.Has("avx512bw") &&
                                     cpu.Has("avx512dq") && cpu.Has("avx512vl"));
  if (Supported(HWY_AVX3_DL)) {
    for (const char* f : {"avx512_vnni", "avx512vbmi", "avx512_vbmi2", "vpclmulqdq", "vaes"}) {
      EXPECT_TRUE(cpu.Has(f)) << f;
    }
  }
#elif HWY_ARCH_ARM_A64
  EXPECT_EQ(cpu.arch, "aarch64");
  EXPECT_TRUE(cpu.Has("asimd"));
#endif
}

TEST(SimdReport, EveryFamilyRunsATargetThisCpuSupports) {
  const SimdReport report = MakeSimdReport();
  ASSERT_FALSE(report.supported_targets.empty());
  // Every Highway family dispatches alike, to a target compiled in and supported by the CPU (not
  // always the best listed: libhwy's chosen-target mask may omit some, e.g. SVE2 under qemu).
  const std::string first = report.families.front().target;
  for (const KernelFamilyTarget& f : report.families) {
    if (f.target == "OpenBLAS") continue;
    EXPECT_EQ(f.target, first) << f.family;
    EXPECT_TRUE(Contains(report.supported_targets, f.target)) << f.family;
  }
#if HWY_ARCH_X86_64
  EXPECT_EQ(first, report.supported_targets.front()) << "x86: the best target this CPU runs";
#endif
  const nlohmann::json j = ToJson(report);
  EXPECT_EQ(j["kernels"].size(), report.families.size());
  EXPECT_FALSE(ToText(report).empty());
}

#if HWY_ARCH_X86_64
TEST(SimdReport, VnniQ2KKernelExactlyWhereTheCpuHasIt) {
  // The portable build compiles AVX3_DL; if that target is dispatched, Q2_K must run the
  // vpermb + vpdpbusd kernel (a lost target attribute would silently drop it).
  const bool dl = (hwy::SupportedTargets() & HWY_TARGETS & HWY_AVX3_DL) != 0;
  EXPECT_EQ(std::string(VecDotSimdKind(DType::kQ2_K)) == "vpermb+vpdpbusd", dl);
  if (Supported(HWY_AVX2)) {
    EXPECT_STREQ(VecDotSimdKind(DType::kQ4_K), "pmaddubsw");
  }
}
#endif

TEST(OpenBlasCore, ChosenFromFeatures) {
  CpuFeatures cpu;
  cpu.arch = "x86_64";
  EXPECT_EQ(ChooseOpenBlasCoreType(cpu), "");  // SSE only: OpenBLAS's own choice
  cpu.flags = {"avx", "avx2", "fma"};
  EXPECT_EQ(ChooseOpenBlasCoreType(cpu), "Haswell");
  cpu.flags.insert(cpu.flags.end(), {"avx512f", "avx512bw", "avx512dq"});
  EXPECT_EQ(ChooseOpenBlasCoreType(cpu), "Haswell") << "no AVX512VL: not SkylakeX";
  cpu.flags.push_back("avx512vl");
  EXPECT_EQ(ChooseOpenBlasCoreType(cpu), "SkylakeX");
  cpu.arch = "aarch64";
  EXPECT_EQ(ChooseOpenBlasCoreType(cpu), "");
}

TEST(OpenBlasCore, TestProgramsRunTheChosenCore) {
  // tests/test_main.cc re-executes with OPENBLAS_CORETYPE set, as lieq does, unless the
  // environment already names a core (kept, as for lieq).
  if (DetectCpuFeatures().arch != "x86_64") GTEST_SKIP() << "OPENBLAS_CORETYPE names x86 cores";
  const std::string source = OpenBlasCoreSource();
  std::string want = ChooseOpenBlasCoreType(DetectCpuFeatures());
  if (source.find("from the environment") != std::string::npos) {
    want = std::getenv("OPENBLAS_CORETYPE");
  } else if (want.empty()) {
    GTEST_SKIP() << "no core to choose on this CPU";
  } else {
    EXPECT_NE(source.find("set by lieq"), std::string::npos) << source;
  }
  std::string core = OpenBlasCoreName();
  for (std::string* s : {&core, &want}) {
    std::transform(s->begin(), s->end(), s->begin(), [](unsigned char c) { return std::tolower(c); });
  }
  EXPECT_EQ(core, want);
}

}  // namespace
}  // namespace lieq
