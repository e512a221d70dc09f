#!/usr/bin/env bash
# The portable build (baseline ISA + run-time SIMD dispatch, build/) against a -march=native
# build (build-native/) of the same code: bench_engine prefill and decode, the two builds
# interleaved run by run on the same files, ratios of medians. Issue: "no loss of speed".
#
#   bench/compare_native.sh [--reps N] [--pp N] [--tg N] [--threads N] [--layers N] [--wall]
# Timing: this process's CPU time on 1 thread (bench_engine --cpu-clock) by default, which other
# processes on a shared machine do not inflate; --wall --threads 2 times the wall clock instead.
# Models (made once under .cache/bench-native): the random Qwen3-0.6B shape with --layers blocks
# (default 8; fewer blocks keep the set-up short, the per-block work is the real shape's) in BF16
# (HF folder), and lieq's GGUF export at uniform 2 (Q2_K) and 4 bits (Q4_K), RTN.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
reps=3 pp=512 tg=64 threads=1 layers=8 clock=--cpu-clock
while (($#)); do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --pp) pp="$2"; shift 2 ;;
    --tg) tg="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --layers) layers="$2"; shift 2 ;;
    --wall) clock=""; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$repo"
scripts/build.sh --target lieq bench_engine >/dev/null
cmake -S . -B build-native -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIEQ_NATIVE=ON \
  -DLIEQ_BUILD_TESTS=OFF >/dev/null
cmake --build build-native -j "$(nproc)" --target lieq bench_engine >/dev/null
lieq=build/src/cli/lieq
work=.cache/bench-native
mkdir -p "$work"
hf="$work/qwen3-0.6b-l$layers-bf16"
[ -f "$hf/model.safetensors" ] ||
  "$lieq" make-random --like qwen3-0.6b --layers "$layers" --dtype bf16 -o "$hf" --force
for b in 2 4; do
  [ -f "$work/q$b.gguf" ] || "$lieq" quantize "$hf" --uniform "$b" --method rtn --format gguf \
    -o "$work/q$b.gguf" --force
done

echo "cpu: $("$lieq" --version | sed -n 2p | cut -d' ' -f2-); threads $threads; clock ${clock:-wall}"
results="$work/results.txt"
: >"$results"
for ((r = 1; r <= reps; r++)); do
  for m in "$hf" "$work/q2.gguf" "$work/q4.gguf"; do
    for build in build build-native; do
      "$build/bench/bench_engine" "$m" --pp "$pp" --tg "$tg" --reps 1 --threads "$threads" $clock |
        awk -v b="$build" -v m="$(basename "$m")" '/^RESULT/ {print b, m, $3, $4}' |
        tee -a "$results"
    done
  done
done
/usr/bin/python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    build, model, test, tps = line.split()
    runs.setdefault((model, test), {}).setdefault(build, []).append(float(tps))
print("| model | test | portable tok/s | native tok/s | portable / native |")
print("|---|---|---:|---:|---:|")
for (model, test), by in runs.items():
    a, b = statistics.median(by["build"]), statistics.median(by["build-native"])
    print(f"| {model} | {test} | {a:.2f} | {b:.2f} | {a / b:.3f} |")
PY
