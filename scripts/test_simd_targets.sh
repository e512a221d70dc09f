#!/usr/bin/env bash
# The SIMD kernels on every target they are written for, not only the build machine's best one:
#  1. x86: the kernel tests built for plain x86-64 with every Highway target compiled
#     (LIEQ_ALL_SIMD_TARGETS), so the tests run every x86 target this CPU supports (AVX3_DL,
#     AVX3, AVX2, SSE4, SSSE3, EMU128/scalar);
#  2. ARM: the same tests cross-compiled for aarch64 (NEON) and run under qemu-user;
#  3. an old CPU: the default (portable) lieq binary under qemu-x86_64 -cpu Nehalem (SSE4.2, no
#     AVX) gives the same perplexity as on this CPU, for a float and a 2-bit model.
# Installs the cross toolchain, qemu-user and arm64 libraries (Debian multiarch) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=(vec_dot_test simd_decode_test quant_matmul_test group_matmul_test matmul_test
  block_dequantize_test simd_targets_test ops_simd_test)

# --- x86, every target -----------------------------------------------------------------------
cmake -S . -B build-portable -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIEQ_BASELINE_ARCH=x86-64 \
  -DLIEQ_ALL_SIMD_TARGETS=ON -DLIEQ_BUILD_BENCH=OFF >/dev/null
cmake --build build-portable -j "$(nproc)" --target "${tests[@]}"
for t in "${tests[@]}"; do
  echo "simd-targets: x86 $t"
  build-portable/tests/kernels/"$t" --gtest_brief=1
done

# --- aarch64 under qemu ----------------------------------------------------------------------
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo dpkg --add-architecture arm64
fi
scripts/setup.sh g++-aarch64-linux-gnu qemu-user libhwy-dev:arm64 libgtest-dev:arm64 \
  libopenblas-dev:arm64
out=build-arm64
mkdir -p "$out/obj"
cxx=(aarch64-linux-gnu-g++ -O2 -std=c++20 -Isrc -Itests -I/usr/include/aarch64-linux-gnu
  -I/usr/include/aarch64-linux-gnu/openblas-pthread)
sources=(src/kernels/*.cc src/core/dtype.cc src/core/tensor.cc src/core/thread_pool.cc
  src/core/cpu_features.cc)
objects=()
for s in "${sources[@]}"; do
  o="$out/obj/$(echo "$s" | tr / _).o"
  objects+=("$o")
  [ "$o" -nt "$s" ] || "${cxx[@]}" -c "$s" -o "$o" &
  while (($(jobs -r | wc -l) >= $(nproc))); do wait -n; done
done
wait
libs=(-L/usr/lib/aarch64-linux-gnu -L/usr/lib/aarch64-linux-gnu/openblas-pthread -lhwy -lgtest
  -lgtest_main -lopenblas -lpthread)
for t in "${tests[@]}"; do
  echo "simd-targets: aarch64 $t"
  "${cxx[@]}" "tests/kernels/$t.cc" "${objects[@]}" "${libs[@]}" -o "$out/$t"
  qemu-aarch64 -L / "$out/$t" --gtest_brief=1
done

# --- an old x86-64 CPU under qemu ------------------------------------------------------------
scripts/test_old_cpu.sh "${LIEQ_BUILD:-build}"
echo "simd-targets: all kernel tests passed on x86 (every target) and aarch64 (NEON);" \
  "lieq runs on a Nehalem"
