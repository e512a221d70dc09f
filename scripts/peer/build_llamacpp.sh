#!/usr/bin/env bash
# Fetches and builds llama.cpp, the reference peer lieq is compared against, plus the project's
# own peer tool (tools/peer/llama_logits) linked against the peer's libllama.
#
# Idempotent: a second run only checks that everything is in place (seconds).
#
# The source comes from the npm registry (the only package source besides Debian reachable on the
# project's machines): node-llama-cpp ships the full llama.cpp tree as a git bundle,
# package/llama/gitRelease.bundle, which is cloned into $LIEQ_PEER_DIR.
#
# Environment:
#   LIEQ_PEER_DIR   where llama.cpp is cloned and built (default <repo>/.cache/llama.cpp; the
#                   repository ignores .cache/, and no llama.cpp code may enter the project)
#   LIEQ_PEER_JOBS  parallel compile jobs (default 2: the development machine has 2 cores)
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
peer_dir="$(realpath -m "${LIEQ_PEER_DIR:-$repo/.cache/llama.cpp}")"
jobs="${LIEQ_PEER_JOBS:-2}"

# node-llama-cpp 3.22.1's bundle holds llama.cpp "0.5.0-dev" squashed into one commit. The
# commit is pinned so that a different download is noticed rather than silently compared with.
npm_package="node-llama-cpp@3.22.1"
expected_commit="de3ff815ea7d559ee917f063901b8986f038abc6"

build_dir="$peer_dir/build"             # llama.cpp's own CMake build (bin/ holds everything)
tools_build_dir="$peer_dir/build-lieq"  # tools/peer built against build/bin/libllama.so
peer_targets=(llama-perplexity llama-bench llama-quantize llama-imatrix llama-simple
  llama-completion llama-tokenize)

log() { echo "peer: $*" >&2; }

# --- 1. Tools from Debian ---------------------------------------------------------------------
# command -> Debian package providing it; only missing ones are installed.
declare -A needed=(
  [cmake]=cmake [g++]=g++ [git]=git [ninja]=ninja-build [npm]=npm [node]=nodejs
  [/usr/bin/python3]=python3
)
missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needed[$cmd]}")
done
# compare_logits.py uses Debian's numpy, not a pip/pyenv one.
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || missing+=(python3-numpy)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# --- 2. Source ----------------------------------------------------------------------------------
if [ ! -d "$peer_dir/.git" ]; then
  log "fetching $npm_package from the npm registry"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "$npm_package" --silent >/dev/null)
  tar -xzf "$tmp"/node-llama-cpp-*.tgz -C "$tmp" package/llama/gitRelease.bundle \
    package/llama/llama.cpp.info.json
  # Clone next to the destination and rename, so an interrupted run leaves no half clone that
  # the check above would take for a finished one.
  mkdir -p "$(dirname "$peer_dir")"
  partial="$peer_dir.partial"
  rm -rf "$partial"
  git -c advice.detachedHead=false clone -q "$tmp/package/llama/gitRelease.bundle" "$partial"
  cp "$tmp/package/llama/llama.cpp.info.json" "$partial/.lieq-node-llama-cpp.json"
  mv "$partial" "$peer_dir"
fi
commit="$(git -C "$peer_dir" rev-parse HEAD)"
if [ "$commit" != "$expected_commit" ]; then
  log "WARNING: $peer_dir holds llama.cpp commit $commit, expected $expected_commit"
fi
echo "$commit" >"$peer_dir/.lieq-commit"  # read by the comparison scripts and reports

# --- 3. llama.cpp -------------------------------------------------------------------------------
# Variant: llama.cpp's native build (-march=native: its fastest kernels for this CPU), with AMX
# compiled out on x86. ggml's AMX path (ggml_backend_amx_mul_mat) segfaults on Q4_K_M on Intel
# Xeons with AMX at this commit, and lieq has no AMX kernels either, so the comparison is
# AVX-512/AVX2 against AVX-512/AVX2 on every CPU. The variant is recorded for the reports.
variant="native"
native_flags=""
if [ "$(uname -m)" = x86_64 ]; then
  native_flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  variant="native, AMX off ($native_flags)"
fi
if [ -f "$build_dir/CMakeCache.txt" ] && [ "$(cat "$peer_dir/.lieq-variant" 2>/dev/null)" != "$variant" ]; then
  log "the build in $build_dir is another variant; reconfiguring"
  rm -f "$build_dir/CMakeCache.txt"
fi
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  log "configuring llama.cpp in $build_dir"
  # CPU only (no GPU backend is enabled by default), no network code (OpenSSL/CURL), no server
  # (llama-cli now needs it; llama-simple and llama-completion cover plain generation).
  cmake -S "$peer_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DCMAKE_C_FLAGS="$native_flags" -DCMAKE_CXX_FLAGS="$native_flags" \
    -DBUILD_SHARED_LIBS=ON -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_BUILD_EXAMPLES=ON >"$peer_dir/.lieq-configure.log" 2>&1 ||
    {
      tail -30 "$peer_dir/.lieq-configure.log" >&2
      rm -f "$build_dir/CMakeCache.txt"
      exit 1
    }
  echo "$variant" >"$peer_dir/.lieq-variant"
fi
log "building ${peer_targets[*]} (-j$jobs; the first build takes about 10 minutes on 2 cores)"
cmake --build "$build_dir" -j "$jobs" --target "${peer_targets[@]}"

# --- 4. The project's peer tool -----------------------------------------------------------------
if [ ! -f "$tools_build_dir/CMakeCache.txt" ]; then
  cmake -S "$repo/tools/peer" -B "$tools_build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_CPP_SOURCE_DIR="$peer_dir" -DLLAMA_CPP_BUILD_DIR="$build_dir" >/dev/null
fi
cmake --build "$tools_build_dir" -j "$jobs"

# --- 5. Where things are ------------------------------------------------------------------------
echo "llama.cpp commit: $commit (from $npm_package), variant: $variant"
for t in "${peer_targets[@]}"; do
  echo "$t: $build_dir/bin/$t"
done
echo "llama_logits: $tools_build_dir/llama_logits"
