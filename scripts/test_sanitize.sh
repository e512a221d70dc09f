#!/usr/bin/env bash
# Builds the whole test suite with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan
# (-O1 -g, asserts on) and runs ctest there. Any sanitizer report fails the test that made it.
# Extra arguments go to ctest. LIEQ_SANITIZE_EXCLUDE (a ctest -E regex) skips tests; empty by
# default, so CI runs every test under the sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
if [ ! -f "$shared/README.md" ]; then
  echo "test_sanitize: the shared data folder is missing at $shared (set LIEQ_SHARED_DIR)" >&2
  exit 1
fi
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DLIEQ_SANITIZE=ON -DLIEQ_BUILD_BENCH=OFF \
  -DLIEQ_SHARED_DIR="$(cd "$shared" && pwd)" >/dev/null
cmake --build build-asan -j "$(nproc)"
# halt_on_error makes any report fatal; leaks are reported at exit and fail the test too.
# allocator_may_return_null: an impossible allocation must fail as it does without ASan (null,
# which lieq turns into an "out of memory" error naming the size); tests check that error.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
exclude=()
[ -n "${LIEQ_SANITIZE_EXCLUDE:-}" ] && exclude=(-E "$LIEQ_SANITIZE_EXCLUDE")
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" "${exclude[@]}" "$@"
