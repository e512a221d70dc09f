#!/usr/bin/env bash
# Peak resident memory (and wall time) of lieq's main commands on the random Qwen3-0.6B shape,
# in BF16 and at 2 bits, next to the weights' size: the memory table of docs/BENCHMARKS.md.
#
#   bench/memory_table.sh [--build DIR] [--work DIR] [--threads N] [--gptq-layers N]
#                         [--gptq-full-samples N]
#
# Models (made once under WORK, default .cache/bench/mem): `lieq make-random --like qwen3-0.6b
# --dtype bf16` with the Qwen3 tokenizer from the shared data; its 2-bit versions in the folder
# format (RTN, group 128, embeddings/head kept BF16 and --head-type q6_K) and as GGUF (Q2_K blocks,
# Q6_K embeddings/head). Commands, each under /usr/bin/time:
#   ppl      --chunks 2 at 2048 tokens of WikiText-2
#   generate 64 tokens after a short prompt
#   diagnose the proxy at its defaults (16 x 512 calibration tokens)
#   quantize --method rtn --uniform 2 (whole model), and --method gptq --uniform 2 at the default
#            calibration (128 x 2048 tokens) on the same shape cut to --gptq-layers blocks (default
#            2; GPTQ on all 28 blocks takes about an hour on 2 cores): what the calibration
#            activations and one block's solver add, on top of the weights; and GPTQ on the
#            whole model with --gptq-full-samples windows of 2048 (default 16; 0 skips it), whose
#            peak is then extrapolated to the default 128 windows by adding the residual streams
#            of the missing windows (windows × 2048 × hidden × 4 bytes: the only part of the peak
#            that grows with the windows). An upper bound: the growth is added to the overall
#            peak, which may be the writing phase that does not grow; bench/rss_timeline.sh
#            splits the two (docs/BENCHMARKS.md).
# Output: a Markdown table on stdout; raw lines in WORK/memory.txt.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
build="build"
work="$repo/.cache/bench/mem"
threads=2
gptq_layers=2
gptq_full_samples=16
while (($#)); do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --gptq-layers) gptq_layers="$2"; shift 2 ;;
    --gptq-full-samples) gptq_full_samples="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$repo"
lieq="$repo/$build/src/cli/lieq"
[ -x "$lieq" ] || { echo "missing $lieq (cmake --build $build --target lieq)" >&2; exit 1; }
shared="${LIEQ_SHARED_DIR:-$repo/../shared}"
tokenizer="$shared/tokenizers/qwen3/tokenizer.json"
text="$shared/data/eval/wikitext2-test.raw"
for f in "$tokenizer" "$text"; do
  [ -f "$f" ] || { echo "missing $f (set LIEQ_SHARED_DIR)" >&2; exit 1; }
done
log() { echo "memory: $*" >&2; }

mkdir -p "$work"
bf16="$work/qwen3-0.6b-bf16"
cut="$work/qwen3-0.6b-${gptq_layers}blocks-bf16"
[ -f "$bf16/model.safetensors" ] ||
  "$lieq" make-random --like qwen3-0.6b --dtype bf16 --tokenizer "$tokenizer" -o "$bf16" --force
[ -f "$cut/model.safetensors" ] ||
  "$lieq" make-random --like qwen3-0.6b --dtype bf16 --layers "$gptq_layers" \
    --tokenizer "$tokenizer" -o "$cut" --force
q2="$work/qwen3-0.6b-2bit"
q2h="$work/qwen3-0.6b-2bit-q6head"
q2g="$work/qwen3-0.6b-2bit.gguf"
[ -f "$q2/model.safetensors" ] ||
  "$lieq" quantize "$bf16" --uniform 2 --method rtn -o "$q2" --force --quiet
[ -f "$q2h/model.safetensors" ] ||
  "$lieq" quantize "$bf16" --uniform 2 --method rtn --head-type q6_K -o "$q2h" --force --quiet
[ -f "$q2g" ] || "$lieq" quantize "$bf16" --uniform 2 --method rtn -o "$q2g" --force --quiet

raw="$work/memory.txt"
: >"$raw"
# measure NAME MODEL_BYTES COMMAND...: one line "NAME peak_kB seconds model_bytes" in $raw.
measure() {
  local name="$1" bytes="$2"
  shift 2
  log "$name"
  /usr/bin/time -f "%M %e" -o "$work/time.txt" "$@" >"$work/$name.log" 2>&1 ||
    { echo "failed: $* (see $work/$name.log)" >&2; exit 1; }
  echo "$name $(cat "$work/time.txt") $bytes" >>"$raw"
}
size_of() { du -bc "$@" | tail -1 | cut -f1; }
prompt="The history of the city begins"
out="$work/out"
for m in bf16 q2 q2h q2g; do
  path="${!m}"
  bytes="$(size_of "$path" | tail -1)"
  [ -d "$path" ] && bytes="$(size_of "$path/model.safetensors")"
  measure "ppl:$m" "$bytes" "$lieq" ppl "$path" --text "$text" --chunks 2 -t "$threads"
  measure "generate:$m" "$bytes" "$lieq" generate "$path" "$prompt" -n 64 --seed 1 -t "$threads"
done
bytes="$(size_of "$bf16/model.safetensors")"
measure "diagnose:bf16" "$bytes" "$lieq" diagnose "$bf16" -o "$out-diag" --force -t "$threads"
measure "quantize-rtn:bf16" "$bytes" "$lieq" quantize "$bf16" --uniform 2 --method rtn \
  -o "$out-rtn" --force --quiet -t "$threads"
cut_bytes="$(size_of "$cut/model.safetensors")"
measure "quantize-gptq-${gptq_layers}blocks:bf16" "$cut_bytes" "$lieq" quantize "$cut" \
  --uniform 2 --method gptq -o "$out-gptq" --force --quiet -t "$threads"
if ((gptq_full_samples > 0)); then
  measure "quantize-gptq-${gptq_full_samples}x2048:bf16" "$bytes" "$lieq" quantize "$bf16" \
    --uniform 2 --method gptq --calib-samples "$gptq_full_samples" -o "$out-gptq-full" --force \
    --quiet -t "$threads"
fi

hidden="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hidden_size"])' \
  "$bf16/config.json")"
/usr/bin/python3 - "$raw" "$hidden" <<'EOF'
import re, sys
print("| command | model | model bytes | peak RSS | RSS / model bytes | wall s |")
print("|---|---|---:|---:|---:|---:|")
hidden = int(sys.argv[2])
for line in open(sys.argv[1]):
    name, kb, secs, size = line.split()
    cmd, model = name.split(":")
    rss = int(kb) * 1024
    print(f"| {cmd} | {model} | {int(size) / 1e6:.0f} MB | {rss / 1e6:.0f} MB | "
          f"{rss / int(size):.2f} | {float(secs):.1f} |")
    full = re.fullmatch(r"quantize-gptq-(\d+)x2048", cmd)
    if full and int(full.group(1)) < 128:  # the residual streams of the missing windows
        rss += (128 - int(full.group(1))) * 2048 * hidden * 4
        print(f"| quantize-gptq-128x2048 (extrapolated, upper bound) | {model} | {int(size) / 1e6:.0f} MB | "
              f"{rss / 1e6:.0f} MB | {rss / int(size):.2f} | |")
EOF
