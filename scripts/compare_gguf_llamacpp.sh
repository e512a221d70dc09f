#!/usr/bin/env bash
# LieQ GGUF against llama.cpp's own mixtures, measured by llama.cpp (docs/GGUF_EXPORT.md):
#   1. every GGUF lieq writes loads in llama-perplexity, whose PPL agrees with
#      `lieq ppl --protocol llama.cpp` on the same file within 0.5%, and llama-simple generates;
#   2. at equal whole-file bits per weight, LieQ + GPTQ (2/4-bit blocks ranked by the LieQ
#      diagnostics, GPTQ in the K-quant grids) against llama-quantize's Q2_K, Q2_K_S and Q3_K_S
#      with an importance matrix from the same calibration text: WikiText-2 test PPL and
#      KL-divergence against the unquantized model, both from llama-perplexity.
# Needs the peer built by scripts/peer/build_llamacpp.sh and lieq built in $BUILD.
# Usage: scripts/compare_gguf_llamacpp.sh [WORKDIR]
#   MODEL=models/lieq-ref-qwen3 CHUNKS=50 RANK_BY=ppl BUILD=build CALIB_SAMPLES=128
# Writes WORKDIR/results.md (a table for docs/RESULTS.md) and WORKDIR/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-build/compare-gguf}"
model="${MODEL:-models/lieq-ref-qwen3}"
chunks="${CHUNKS:-50}"
rank_by="${RANK_BY:-ppl}"
build="${BUILD:-build}"
calib_samples="${CALIB_SAMPLES:-128}"
threads="${THREADS:-2}"
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
peer="${LIEQ_PEER_DIR:-$(pwd)/.cache/llama.cpp}"
bin="$peer/build/bin"
lieq="$build/src/cli/lieq"
calib_jsonl="$shared/data/calib/c4-train-00000-head1000.jsonl"
wiki="$shared/data/eval/wikitext2-test.raw"
py=/usr/bin/python3
export OPENBLAS_CORETYPE=SkylakeX
for tool in llama-perplexity llama-quantize llama-imatrix llama-simple; do
  [ -x "$bin/$tool" ] || { echo "missing $bin/$tool: run scripts/peer/build_llamacpp.sh" >&2; exit 2; }
done
[ -x "$lieq" ] || { echo "missing $lieq: build lieq (BUILD=...)" >&2; exit 2; }
mkdir -p "$work"
name=$(basename "$model")
base="$work/$name-f32.gguf"
ppl_flags=(-c 512 -b 512 --chunks "$chunks" -fa off -ctk f32 -ctv f32 -t "$threads")

# Tensor bytes, weight count and type histogram of a GGUF (gguf-py from the peer's tree).
gguf_sizes() {
  "$py" - "$1" "$peer/gguf-py" <<'PY'
import collections, json, os, sys
sys.path.insert(0, sys.argv[2])
from gguf import GGUFReader
r = GGUFReader(sys.argv[1])
types = collections.Counter(t.tensor_type.name for t in r.tensors)
b = sum(int(t.n_bytes) for t in r.tensors)
n = sum(int(t.n_elements) for t in r.tensors)
blk0 = sum(int(t.n_elements) for t in r.tensors if t.name.startswith("blk.0.") and len(t.shape) == 2)
print(json.dumps({"tensor_bytes": b, "weights": n, "file_bytes": os.path.getsize(sys.argv[1]),
                  "block_linear_weights": blk0,
                  "bpw": 8.0 * b / n, "types": dict(sorted(types.items()))}))
PY
}

# llama-perplexity with KL-divergence against the base logits; prints "PPL KLD" (retried: the
# peer's async logger sometimes drops the last lines at exit).
peer_ppl_kld() {
  local out ppl kld
  for attempt in 1 2 3; do
    out=$("$bin/llama-perplexity" -m "$1" -f "$wiki" "${ppl_flags[@]}" \
      --kl-divergence-base "$work/base.kld" --kl-divergence 2>&1 || true)
    ppl=$(echo "$out" | sed -n 's/^Mean PPL(Q) *: *\([0-9.]*\).*/\1/p' | tail -1)
    kld=$(echo "$out" | sed -n 's/^Mean *KLD: *\([0-9.]*\).*/\1/p' | tail -1)
    [ -n "$ppl" ] && [ -n "$kld" ] && { echo "$ppl $kld"; return 0; }
  done
  echo "llama-perplexity failed on $1:" >&2
  echo "$out" | tail -5 >&2
  return 1
}

# 1. The unquantized model, the calibration text, the imatrix, the KL base.
[ -f "$base" ] || "$lieq" convert "$model" -o "$base" --type f32
calib_txt="$work/calib.txt"
[ -f "$calib_txt" ] || "$py" - "$calib_jsonl" "$calib_txt" <<'PY'
import json, sys
docs = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")][:500]
open(sys.argv[2], "w", encoding="utf-8").write("\n\n".join(docs))
PY
[ -f "$work/imatrix.dat" ] || "$bin/llama-imatrix" -m "$base" -f "$calib_txt" -o "$work/imatrix.dat" \
  -c 512 --chunks "$calib_samples" -t "$threads" >"$work/imatrix.log" 2>&1
if [ ! -f "$work/base.kld" ]; then
  "$bin/llama-perplexity" -m "$base" -f "$wiki" "${ppl_flags[@]}" \
    --kl-divergence-base "$work/base.kld" >"$work/base-ppl.log" 2>&1
fi
base_ppl=$(sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p' "$work/base-ppl.log")

# 2. llama.cpp's own mixtures.
for q in Q2_K Q2_K_S Q3_K_S; do
  [ -f "$work/llama-$q.gguf" ] || "$bin/llama-quantize" --imatrix "$work/imatrix.dat" "$base" \
    "$work/llama-$q.gguf" "$q" "$threads" >"$work/quantize-$q.log" 2>&1
done

# 3. LieQ at each mixture's size: all blocks Q2_K, the k highest-ranked blocks Q4_K, head Q6_K;
# k is the largest whose file is no larger than llama.cpp's.
diag="$work/diag/diagnostics.json"
[ -f "$diag" ] || "$lieq" diagnose "$model" --calib "$calib_jsonl" --samples 8 --seq 256 \
  --eval-text "$wiki" --eval-windows 4 -o "$work/diag" -t "$threads" >"$work/diag.log" 2>&1
layers=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_blocks"])' "$diag")
"$lieq" quantize "$model" --uniform 2 --method rtn --format gguf -o "$work/probe-2.gguf" --force \
  >/dev/null 2>&1
probe=$(gguf_sizes "$work/probe-2.gguf")
# Bytes one block gains from Q2_K to Q4_K: (144 − 84) bytes per 256 linear weights.
per_block=$(echo "$probe" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["block_linear_weights"] * 60 // 256)')

rows=()
for q in Q2_K Q2_K_S Q3_K_S; do
  target=$(gguf_sizes "$work/llama-$q.gguf" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["tensor_bytes"])')
  base2=$(echo "$probe" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["tensor_bytes"])')
  k=$(( (target - base2) / per_block ))
  (( k < 0 )) && k=0
  (( k > layers )) && k=$layers
  budget=$("$py" -c "print(2 + 2 * $k / $layers)")
  out="$work/lieq-gptq-k$k.gguf"
  if [ ! -f "$out" ]; then
    if (( k == 0 )); then plan=(--uniform 2); else plan=(--budget "$budget" --bits 2,4 --rank-by "$rank_by" --diagnostics "$diag"); fi
    "$lieq" quantize "$model" "${plan[@]}" --method gptq --format gguf --calib "$calib_jsonl" \
      --calib-samples "$calib_samples" -o "$out" -t "$threads" >"$work/lieq-k$k.log" 2>&1
  fi
  rows+=("$q llama-$q.gguf" "LieQ+GPTQ(k=$k,$rank_by) lieq-gptq-k$k.gguf")
done

# 4. Measure: sizes, llama.cpp PPL and KLD, lieq's PPL on our files, generation.
results="$work/results.jsonl"
: >"$results"
for row in "${rows[@]}"; do
  read -r label file <<<"$row"
  grep -q "\"file\": \"$file\"" "$results" && continue
  sizes=$(gguf_sizes "$work/$file")
  read -r ppl kld <<<"$(peer_ppl_kld "$work/$file")"
  ours="null"; gen="null"
  case "$file" in lieq-*)
    ours=$("$lieq" ppl "$work/$file" --text "$wiki" --protocol llama.cpp --chunks "$chunks" --json \
      -t "$threads" 2>/dev/null | "$py" -c 'import json,sys; print(json.load(sys.stdin)["ppl"])')
    gen=$("$bin/llama-simple" -m "$work/$file" -n 32 "Once upon a time" 2>/dev/null | tr '\n' ' ' | \
      "$py" -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')
  esac
  echo "{\"label\": \"$label\", \"file\": \"$file\", \"sizes\": $sizes, \"ppl\": $ppl, \"kld\": $kld, \"lieq_ppl\": $ours, \"generation\": $gen}" >>"$results"
done

"$py" - "$results" "$work/results.md" "$base_ppl" "$chunks" "$name" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
base_ppl, chunks, name = float(sys.argv[3]), sys.argv[4], sys.argv[5]
out = [f"{name}, WikiText-2 test, llama-perplexity -c 512 --chunks {chunks} (F32 model PPL {base_ppl:.3f})", "",
       "| file | tensor bytes | bits/weight | llama.cpp PPL | KLD | lieq PPL (Δ) | types |",
       "|---|---|---|---|---|---|---|"]
status = 0
for r in rows:
    s = r["sizes"]
    ours = ""
    if r["lieq_ppl"] is not None:
        d = (r["lieq_ppl"] - r["ppl"]) / r["ppl"]
        ours = f"{r['lieq_ppl']:.3f} ({100*d:+.2f}%)"
        if abs(d) > 0.005: status = 1
    types = ", ".join(f"{k}×{v}" for k, v in s["types"].items())
    out.append(f"| {r['label']} | {s['tensor_bytes']} | {s['bpw']:.3f} | {r['ppl']:.3f} | {r['kld']:.4f} | {ours} | {types} |")
for r in rows:
    if r["generation"] is not None:
        out.append(f"\n`llama-simple -n 32` on {r['file']}: {r['generation'][:300]!r}")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
sys.exit(status)
PY
