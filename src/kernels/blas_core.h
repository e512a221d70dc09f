// OpenBLAS picks its kernels ("core type") from CPUID when the library loads. Debian 12's
// OpenBLAS 0.3.21 predates Zen 4/5 and recent Xeons and falls back to slow generic kernels on
// them, so lieq names the core itself from the CPU's features (OPENBLAS_CORETYPE), before the
// library reads it: by re-executing the program once with the variable set.
#pragma once

#include <string>

#include "core/cpu_features.h"

namespace lieq {

// The core type lieq asks for on a CPU: "SkylakeX" with AVX-512 (F/BW/DQ/VL), "Haswell" with
// AVX2+FMA, "" (leave OpenBLAS's own choice) otherwise. Both named kernels exist in every
// DYNAMIC_ARCH OpenBLAS since 0.3.x and need exactly these features.
std::string ChooseOpenBlasCoreType(const CpuFeatures& cpu);

// Sets OPENBLAS_CORETYPE to ChooseOpenBlasCoreType's answer and re-executes /proc/self/exe with
// the same arguments, unless the variable is already set (by the user, or by the first run) or
// there is nothing to choose. Returns only when no re-execution happened (or it failed).
void EnsureOpenBlasCoreType(char** argv);

// The core OpenBLAS is using in this process ("SkylakeX", "Haswell", "Zen", ...).
std::string OpenBlasCoreName();

// Where that choice came from: "OPENBLAS_CORETYPE=X, set by lieq", "OPENBLAS_CORETYPE=X, from the
// environment" (a user's or the machine's value, always kept) or "OpenBLAS's own choice".
std::string OpenBlasCoreSource();

}  // namespace lieq
