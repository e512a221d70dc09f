#!/usr/bin/env bash
# Installs the Debian packages lieq needs to build and test (idempotent; needs root or sudo).
# With arguments, installs those packages instead (scripts/test_simd_targets.sh: arm64 ones).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  nlohmann-json3-dev libpcre2-dev libutf8proc-dev libopenblas-dev libopenblas0-pthread
  libhwy-dev libcli11-dev ccache libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev  # fuzz/run_all.sh: libFuzzer and the clang sanitizer runtimes
  chromium fonts-dejavu-core  # tests/report: report.html is opened in headless Chromium
)
(($#)) && packages=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
