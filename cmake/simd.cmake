# Compile flags for SIMD: a baseline every CPU of the architecture runs, plus Highway's run-time
# dispatch, which compiles each kernel file once per target (with that target's attributes) and
# picks the best one the CPU reports through CPUID / HWCAP when the kernel is first called.
#
# Baselines: x86-64-v2 (SSE4.2 + POPCNT: every x86-64 CPU since 2009, Nehalem on) and armv8-a.
# Highway then builds SSE4, AVX2, AVX3 (AVX-512) and AVX3_DL (AVX-512 VNNI/VBMI) on x86, and NEON
# on aarch64. HWY_WANT_AVX3_DL is needed because Highway 1.0.3 leaves AVX3_DL out unless asked;
# without it, a -march=native build on a CPU whose flags imply AVX3_DL (Zen 5, Sapphire Rapids)
# stops with "Logic error: best baseline should be included in dynamic targets".

set(LIEQ_BASELINE_ARCH "" CACHE STRING
  "-march for the portable build (default: x86-64-v2 on x86-64, armv8-a on aarch64)")

if(LIEQ_NATIVE)
  set(lieq_march native)
elseif(LIEQ_BASELINE_ARCH)
  set(lieq_march ${LIEQ_BASELINE_ARCH})
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(lieq_march x86-64-v2)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(lieq_march armv8-a)
else()
  set(lieq_march "")  # the compiler's default for this architecture
endif()

if(lieq_march)
  add_compile_options(-march=${lieq_march})
endif()
add_compile_definitions(HWY_WANT_AVX3_DL)
if(LIEQ_ALL_SIMD_TARGETS)
  add_compile_definitions(HWY_COMPILE_ALL_ATTAINABLE)
endif()

# A native build must still compile Highway's target list on this CPU; say what to do if not,
# here at configure time rather than halfway through the build.
if(LIEQ_NATIVE)
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-march=native -DHWY_WANT_AVX3_DL")
  set(CMAKE_REQUIRED_INCLUDES ${HWY_INCLUDE_DIRS})
  check_cxx_source_compiles([=[
    #include "hwy/highway.h"
    int main() { return 0; }
  ]=] LIEQ_NATIVE_HWY_COMPILES)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_INCLUDES)
  if(NOT LIEQ_NATIVE_HWY_COMPILES)
    message(FATAL_ERROR
      "LIEQ_NATIVE=ON: Highway ${HWY_VERSION} cannot compile its SIMD targets with "
      "-march=native on this CPU. Configure without -DLIEQ_NATIVE=ON (the default portable "
      "build picks the best SIMD path at run time and is as fast).")
  endif()
endif()
message(STATUS "lieq: -march=${lieq_march}; SIMD kernels dispatched at run time")
