#!/usr/bin/env bash
# lieq vs llama.cpp on the same GGUF files of the random Qwen3-0.6B-shaped model: prefill (pp)
# and decode (tg) tokens/s, interleaved run by run, with the ratio lieq / llama.cpp and, for
# decode, the fraction of the memory-bandwidth bound (weight bytes per token / streaming GB/s).
# Also lieq alone on the project's own quantized folders (2-bit, 4-bit, LieQ-mixed), which
# llama.cpp cannot read, and both engines on lieq's own mixed GGUF export.
#
#   bench/run_vs_llamacpp.sh [options]
#     --build DIR    lieq build folder (default build-perf; needs targets lieq, bench_engine)
#     --work DIR     where models are made (default .cache/bench; reused when present)
#     --models LIST  comma list of f32, bf16, q2_k, q3_k_m, q4_k_m (llama-quantize's files),
#                    lieq_gguf_mix (lieq quantize --format gguf, blocks 0 and 27 at 4 bits, RTN),
#                    lieq2, lieq4, lieq_mix (the project's folder format, RTN, group 128;
#                    lieq only), lieq_mix_q6 (lieq_mix with --head-type q6_K: the tied
#                    embedding/head in Q6_K as in the GGUF files) (default: all)
#     --pp N --tg N  prompt / generated tokens (default 512 / 128)
#     --reps N       interleaved repetitions per engine (default 2)
#     --threads N    (default 2)
# llama.cpp comes from scripts/peer/build_llamacpp.sh (.cache/llama.cpp/build/bin or
# $LIEQ_PEER_DIR/build/bin). See docs/BENCHMARKS.md.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
build="build-perf"
work="$repo/.cache/bench"
models="f32,bf16,q2_k,q3_k_m,q4_k_m,lieq_gguf_mix,lieq2,lieq4,lieq_mix,lieq_mix_q6"
pp=512
tg=128
reps=2
threads=2
while (($#)); do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --pp) pp="$2"; shift 2 ;;
    --tg) tg="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$repo"
lieq="$build/src/cli/lieq"
bench="$build/bench/bench_engine"
peer_bin="$(realpath -m "${LIEQ_PEER_DIR:-$repo/.cache/llama.cpp}")/build/bin"
for f in "$lieq" "$bench" "$peer_bin/llama-bench" "$peer_bin/llama-quantize"; do
  [ -x "$f" ] || { echo "missing $f (build lieq/bench_engine; scripts/peer/build_llamacpp.sh)" >&2; exit 1; }
done
log() { echo "bench: $*" >&2; }
peer_root="$(dirname "$peer_bin")/.."
log "llama.cpp $(cat "$peer_root/.lieq-commit" 2>/dev/null || echo '?'), variant: $(cat "$peer_root/.lieq-variant" 2>/dev/null || echo 'unrecorded (rebuild with scripts/peer/build_llamacpp.sh)')"
log "lieq: $("$lieq" --version | sed -n 2p)"

# --- models -------------------------------------------------------------------------------------
mkdir -p "$work"
hf="$work/qwen3-0.6b-random-bf16"
[ -f "$hf/model.safetensors" ] || { log "make-random"; "$lieq" make-random --like qwen3-0.6b --dtype bf16 -o "$hf" --force; }
gguf() { echo "$work/qwen3-0.6b-random-$1.gguf"; }
folder() { echo "$work/qwen3-0.6b-random-$1"; }
# LieQ's headline shape on 28 blocks: two blocks (first and last) at 4 bits, the rest at 2.
mix=(--budget 2.15 --rank-by first-last --method rtn)
[ -f "$(gguf bf16)" ] || "$lieq" convert "$hf" -o "$(gguf bf16)" --force
[ -f "$(gguf f32)" ] || "$lieq" convert "$hf" --type f32 -o "$(gguf f32)" --force
IFS=, read -ra list <<<"$models"
for m in "${list[@]}"; do
  case "$m" in
    f32 | bf16) ;;
    q2_k | q3_k_m | q4_k_m)
      [ -f "$(gguf "$m")" ] || "$peer_bin/llama-quantize" "$(gguf f32)" "$(gguf "$m")" \
        "${m^^}" 2 >"$work/quantize-$m.log" 2>&1 ;;
    lieq_gguf_mix)
      [ -f "$(gguf "$m")" ] || "$lieq" quantize "$hf" "${mix[@]}" --format gguf -o "$(gguf "$m")" ;;
    lieq2 | lieq4)
      [ -f "$(folder "$m")/model.safetensors" ] ||
        "$lieq" quantize "$hf" --uniform "${m#lieq}" --method rtn -o "$(folder "$m")" --force ;;
    lieq_mix)
      [ -f "$(folder "$m")/model.safetensors" ] ||
        "$lieq" quantize "$hf" "${mix[@]}" -o "$(folder "$m")" --force ;;
    lieq_mix_q6)
      [ -f "$(folder "$m")/model.safetensors" ] ||
        "$lieq" quantize "$hf" "${mix[@]}" --head-type q6_K -o "$(folder "$m")" --force ;;
    *) echo "unknown model $m" >&2; exit 2 ;;
  esac
done

# --- interleaved runs ---------------------------------------------------------------------------
results="$work/results.txt"  # lines: engine model test tok/s [weight bytes]
: >"$results"
for ((r = 1; r <= reps; r++)); do
  stream="$("$bench" --stream --threads "$threads" | awk '/^STREAM/ {print $2}')"
  echo "stream - - $stream" >>"$results"
  log "round $r/$reps: stream $stream GB/s"
  for m in "${list[@]}"; do
    f="$(gguf "$m")"
    [[ "$m" == lieq[0-9]* || "$m" == lieq_mix* ]] && f="$(folder "$m")"
    "$bench" "$f" --pp "$pp" --tg "$tg" --reps 1 --threads "$threads" |
      awk -v m="$m" '/^RESULT/ {print "lieq", m, $3, $4, $7}' | tee -a "$results" >&2
    [ -d "$f" ] && continue  # the project's folder format: lieq only
    "$peer_bin/llama-bench" -m "$f" -p "$pp" -n "$tg" -t "$threads" -r 1 -o csv 2>/dev/null |
      /usr/bin/python3 -c '
import csv, sys
for row in csv.DictReader(sys.stdin):
    test = "pp%s" % row["n_prompt"] if int(row["n_prompt"]) else "tg%s" % row["n_gen"]
    print("llama.cpp", sys.argv[1], test, row["avg_ts"])' "$m" | tee -a "$results" >&2
  done
done

# --- table --------------------------------------------------------------------------------------
/usr/bin/python3 - "$results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
stream = statistics.median(float(r[3]) for r in rows if r[0] == "stream")
runs, wbytes, order = {}, {}, []
for r in rows:
    if r[0] == "stream":
        continue
    key = (r[1], r[2])
    if key not in order:
        order.append(key)
    runs.setdefault(key + (r[0],), []).append(float(r[3]))
    if r[0] == "lieq":
        wbytes[r[1]] = int(r[4])
print(f"streaming read: {stream:.2f} GB/s (median of rounds)")
print(f"| model | test | lieq tok/s | llama.cpp tok/s | lieq / llama.cpp | decode bound tok/s | lieq % of bound | llama.cpp % of bound |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for m, t in order:
    a = statistics.median(runs.get((m, t, "lieq"), [float("nan")]))
    b = statistics.median(runs.get((m, t, "llama.cpp"), [float("nan")]))
    extra = "| | |"
    if t.startswith("tg") and m in wbytes:
        bound = stream * 1e9 / wbytes[m]
        extra = f"{bound:.1f} | {100 * a / bound:.0f}% | {100 * b / bound:.0f}% |"
    else:
        extra = " | | |"
    ratio = f"{a / b:.2f}" if b == b else "–"
    other = f"{b:.2f}" if b == b else "–"
    if t.startswith("tg") and m in wbytes and b != b:
        extra = extra.rsplit("|", 2)[0] + "| – |"
    print(f"| {m} | {t} | {a:.2f} | {other} | {ratio} | {extra}")
EOF
