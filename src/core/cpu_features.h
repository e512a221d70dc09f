// What the running CPU can do, read at run time (CPUID on x86-64, HWCAP on aarch64). The build
// never assumes any of it: SIMD kernels are chosen from this at run time (kernels/simd_targets.h).
#pragma once

#include <string>
#include <vector>

namespace lieq {

struct CpuFeatures {
  std::string arch;                // "x86_64", "aarch64" or "other"
  std::string vendor;              // "AuthenticAMD", "GenuineIntel", ... ("" where unknown)
  std::string model_name;          // brand string ("" where unknown)
  int family = 0, model = 0;       // x86 display family / model (0 elsewhere)
  std::vector<std::string> flags;  // lower-case names in /proc/cpuinfo style: "avx2", "avx512_vnni"

  bool Has(const std::string& flag) const;
};

// Reads the features once per call; cheap (a few CPUID instructions).
CpuFeatures DetectCpuFeatures();

}  // namespace lieq
