#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang + ASan + UBSan) into build-fuzz/ and fuzzes every reader of
# untrusted input for a bounded time.
#
#   fuzz/run_all.sh [SECONDS_PER_TARGET] [TARGET...]   default: 30 s for each of all targets
#   LIEQ_FUZZ_SEED=N (default 1) fixes libFuzzer's random seed, so a CI run is repeatable.
#   fuzz/run_all.sh --seeds                            rewrites the seed corpora in fuzz/corpus/
#
# For each target it first replays fuzz/regressions/<target>/ and the seeds fuzz/corpus/<target>/
# (each input once), then fuzzes from those plus what earlier runs found (build-fuzz/corpus/,
# not committed). A crash, leak, sanitizer report, timeout (> 10 s) or out-of-memory (> 2 GB)
# fails the script and leaves the input in build-fuzz/artifacts/<target>/: fix the reader, then
# copy the input into fuzz/regressions/<target>/ so that ctest (tests/reliability) replays it.
# A summary (executions, corpus size) goes to build-fuzz/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
all_targets=(safetensors gguf tokenizer_json hf_config bit_plan task_files calibration)

scripts/setup.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLIEQ_FUZZ=ON -DLIEQ_BUILD_TESTS=OFF -DLIEQ_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_all

if [ "${1:-}" = "--seeds" ]; then
  build-fuzz/fuzz/fuzz_make_seeds . fuzz/corpus
  echo "fuzz: seeds written to fuzz/corpus/"
  exit 0
fi
secs="${1:-30}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
summary=build-fuzz/summary.txt
: >"$summary"
failed=()
for t in "${targets[@]}"; do
  bin=build-fuzz/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz: no harness '$t' (have: ${all_targets[*]})" >&2; exit 2; }
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/artifacts/$t" "fuzz/regressions/$t"
  log="build-fuzz/$t.log"
  # 1. Replay: every regression input and seed once.
  mapfile -t inputs < <(find "fuzz/regressions/$t" "fuzz/corpus/$t" -type f ! -name '.*' | sort)
  if [ ${#inputs[@]} -gt 0 ] && ! "$bin" "${inputs[@]}" >"$log.replay" 2>&1; then
    echo "fuzz: $t: a regression input or seed fails (see $log.replay)" >&2
    tail -n 40 "$log.replay" >&2
    failed+=("$t")
    continue
  fi
  # 2. Bounded fuzzing.
  dict=()
  [ -f "fuzz/dicts/$t.dict" ] && dict=(-dict="fuzz/dicts/$t.dict")
  start=$(date +%s)
  if "$bin" -seed="${LIEQ_FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t/" "${dict[@]}" \
      "build-fuzz/corpus/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
    tail -n 60 "$log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  corpus=$(find "build-fuzz/corpus/$t" -type f | wc -l)
  line="$t: $status, $(($(date +%s) - start)) s, ${execs:-?} executions, corpus $corpus files, ${#inputs[@]} replayed"
  echo "fuzz: $line"
  echo "$line" >>"$summary"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in build-fuzz/artifacts/)" >&2
  exit 1
fi
