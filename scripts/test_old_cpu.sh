#!/usr/bin/env bash
# The default (portable) lieq binary on an old x86-64 CPU: under qemu-x86_64 -cpu Nehalem (SSE4.2,
# no AVX, no AES) the SIMD kernels dispatch to their SSSE3 code and OpenBLAS to its Nehalem
# kernels; `lieq ppl` on a tiny random model, in float and packed 2-bit, must agree with the run
# on this CPU within kPplTolerance (relative). Perplexity runs the float prefill path (row decode +
# sgemm), whose kernels differ between CPUs only in the order of float additions.
# usage: scripts/test_old_cpu.sh [BUILD_DIR]   (default build/; needs ../shared or LIEQ_SHARED_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
lieq="$build/src/cli/lieq"
[ -x "$lieq" ] || { echo "test_old_cpu: $lieq is missing: run scripts/build.sh first" >&2; exit 1; }
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
text="$shared/data/eval/wikitext2-test.raw"
calib="$shared/data/calib/c4-train-00000-head1000.jsonl"
[ -f "$text" ] || { echo "test_old_cpu: $text is missing (set LIEQ_SHARED_DIR)" >&2; exit 1; }
command -v qemu-x86_64 >/dev/null || scripts/setup.sh qemu-user
tolerance=1e-4  # kPplTolerance

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$lieq" make-random --like tiny-qwen3 --tokenizer models/lieq-ref-qwen3/tokenizer.json \
  --dtype f32 --seed 7 -o "$work/f32" >/dev/null
"$lieq" quantize "$work/f32" --uniform 2 --method rtn --group-size 32 --calib "$calib" \
  --calib-samples 2 --calib-seq 64 -o "$work/q2" >/dev/null 2>&1

# The machine's OPENBLAS_CORETYPE (if any) names this CPU's kernels, not a Nehalem's.
old_cpu=(env -u OPENBLAS_CORETYPE qemu-x86_64 -cpu Nehalem)
"${old_cpu[@]}" "$lieq" --version > "$work/version.txt"
if ! grep -q "simd targets this cpu runs: SSSE3$" "$work/version.txt"; then
  # Nehalem has SSE4.2 but not AES/CLMUL, which Highway's SSE4 target also needs.
  echo "test_old_cpu: under qemu Nehalem lieq did not report SSSE3 only:" >&2
  cat "$work/version.txt" >&2
  exit 1
fi

ppl() {  # ppl RUNNER MODEL -> perplexity
  $1 "$lieq" ppl "$2" --text "$text" --ctx 128 --chunks 4 -t 1 --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["ppl"])'
}
for model in f32 q2; do
  here=$(ppl "" "$work/$model")
  old=$(ppl "${old_cpu[*]}" "$work/$model")
  python3 - "$model" "$here" "$old" "$tolerance" <<'PY'
import sys
model, here, old, tol = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rel = abs(here - old) / here
print(f"old-cpu: {model}: ppl here {here:.6f}, Nehalem {old:.6f}, relative difference {rel:.2e}")
sys.exit(0 if rel <= tol else f"old-cpu: {model}: difference above {tol}")
PY
done
