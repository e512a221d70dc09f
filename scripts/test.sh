#!/usr/bin/env bash
# Set-up, build and the whole test suite. Needs ../shared (or LIEQ_SHARED_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
if [ ! -f "$shared/README.md" ]; then
  echo "test: the shared data folder is missing at $shared (set LIEQ_SHARED_DIR)" >&2
  exit 1
fi
cmake -S . -B build -DLIEQ_SHARED_DIR="$(cd "$shared" && pwd)" >/dev/null
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
