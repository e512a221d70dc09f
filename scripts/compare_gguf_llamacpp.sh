#!/usr/bin/env bash
# LieQ GGUF against llama.cpp's own mixtures, measured by llama.cpp (docs/GGUF_EXPORT.md):
#   1. every GGUF lieq writes loads in llama-perplexity, whose PPL agrees with
#      `lieq ppl --protocol llama.cpp` on the same file within 0.5%, and llama-simple generates;
#   2. at equal whole-file bits per weight, LieQ + GPTQ (2/4-bit blocks ranked by the LieQ
#      diagnostics, GPTQ in the K-quant grids) against llama-quantize's Q2_K, Q2_K_S and Q3_K_S
#      with an importance matrix from the same calibration text: WikiText-2 test PPL and
#      KL-divergence against the unquantized model, both from llama-perplexity. The LieQ file
#      takes the embedding and head types of the llama.cpp file it is compared with, so the two
#      differ only in the blocks; LieQ's RTN in the same grids (no GPTQ) is measured too.
# Models whose rows do not split into 256 (lieq-ref-llama: hidden 320) get the 32-column
# fallback types on both sides (docs/GGUF_EXPORT.md); the group size lieq's plan validation
# needs is the largest of 128, 64, 32 dividing every layer's input (GROUP_SIZE to override).
# Needs the peer built by scripts/peer/build_llamacpp.sh and lieq built in $BUILD.
# Usage: scripts/compare_gguf_llamacpp.sh [WORKDIR]
#   MODEL=models/lieq-ref-qwen3 CHUNKS=50 RANK_BY=ppl BUILD=build CALIB_SAMPLES=128 GROUP_SIZE=
#   NEXT_UP=1 also measures, for each mixture, the LieQ file with one more width-4 block (the
#   smallest LieQ file larger than the mixture).
#   EMBED_HEAD_TYPE=f32 gives llama-quantize (and so both sides) that type for token_embd and
#   output (--token-embedding-type/--output-tensor-type): the blocks alone are compared.
# Writes WORKDIR/results.md (a table for docs/RESULTS.md) and WORKDIR/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-build/compare-gguf}"
model="${MODEL:-models/lieq-ref-qwen3}"
chunks="${CHUNKS:-50}"
rank_by="${RANK_BY:-ppl}"
build="${BUILD:-build}"
calib_samples="${CALIB_SAMPLES:-128}"
next_up="${NEXT_UP:-0}"
embed_head="${EMBED_HEAD_TYPE:-}"
threads="${THREADS:-2}"
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
peer="${LIEQ_PEER_DIR:-$(pwd)/.cache/llama.cpp}"
bin="$peer/build/bin"
lieq="$build/src/cli/lieq"
calib_jsonl="$shared/data/calib/c4-train-00000-head1000.jsonl"
wiki="$shared/data/eval/wikitext2-test.raw"
py=/usr/bin/python3
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
blk = sum(int(t.n_bytes) for t in r.tensors if t.name.startswith("blk."))
named = {t.name: t.tensor_type.name for t in r.tensors}
embed = named.get("token_embd.weight", "")
print(json.dumps({"tensor_bytes": b, "weights": n, "file_bytes": os.path.getsize(sys.argv[1]),
                  "block_bytes": blk, "embed_type": embed,
                  "head_type": named.get("output.weight", embed),
                  "bpw": 8.0 * b / n, "types": dict(sorted(types.items()))}))
PY
}

# llama-perplexity with KL-divergence against the base logits; prints "PPL KLD KLD_SE TOP TOP_SE"
# (mean KLD and its standard error, % of tokens whose top token is the base's) and keeps the log
# beside the file (retried: the peer's async logger sometimes drops the last lines at exit).
peer_ppl_kld() {
  local out ppl kld top
  for attempt in 1 2 3; do
    out=$("$bin/llama-perplexity" -m "$1" -f "$wiki" "${ppl_flags[@]}" \
      --kl-divergence-base "$work/base.kld" --kl-divergence 2>&1 || true)
    echo "$out" >"${1%.gguf}.ppl.log"
    ppl=$(echo "$out" | sed -n 's/^Mean PPL(Q) *: *\([0-9.]*\).*/\1/p' | tail -1)
    kld=$(echo "$out" | sed -n 's/^Mean *KLD: *\([0-9.]*\)[^0-9]*\([0-9.]*\).*/\1 \2/p' | tail -1)
    top=$(echo "$out" | sed -n 's/^Same top p: *\([0-9.]*\)[^0-9]*\([0-9.]*\).*/\1 \2/p' | tail -1)
    [ -n "$ppl" ] && [ -n "$kld" ] && [ -n "$top" ] && { echo "$ppl $kld $top"; return 0; }
  done
  echo "llama-perplexity failed on $1:" >&2
  echo "$out" | tail -5 >&2
  return 1
}

jget() { "$py" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# 1. The unquantized model, the calibration text, the imatrix, the KL base.
[ -f "$base" ] || "$lieq" convert "$model" -o "$base" --type f32
# lieq's plan validation wants a group size dividing every linear layer's input (the GGUF types
# do not use it): 128 for lieq-ref-qwen3, 32 for lieq-ref-llama (hidden 320, ffn 864).
group="${GROUP_SIZE:-$("$lieq" inspect "$model" --json | "$py" -c '
import json, sys
c = json.load(sys.stdin)
ins = [c["hidden_size"], c["intermediate_size"], c["num_heads"] * c["head_dim"]]
print(next((g for g in (128, 64, 32) if all(i % g == 0 for i in ins)), 32))')}"
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
simple() {  # greedy continuation of "Once upon a time" by llama-simple, as a JSON string
  "$bin/llama-simple" -m "$1" -n 32 "Once upon a time" 2>/dev/null | tr '\n' ' ' | \
    "$py" -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))'
}

# 2. llama.cpp's own mixtures.
eh_flags=()
[ -n "$embed_head" ] && eh_flags=(--token-embedding-type "$embed_head" --output-tensor-type "$embed_head")
for q in Q2_K Q2_K_S Q3_K_S; do
  [ -f "$work/llama-$q.gguf" ] || "$bin/llama-quantize" --imatrix "$work/imatrix.dat" \
    "${eh_flags[@]}" "$base" "$work/llama-$q.gguf" "$q" "$threads" >"$work/quantize-$q.log" 2>&1
done

# 3. LieQ at each mixture's size: every block at width 2 (Q2_K, or its fallback Q4_0), the k
# highest-ranked blocks at width 4 (Q4_K, or Q4_1), embeddings and head at the mixture's own
# types; k is the largest whose file is no larger than llama.cpp's. A block's cost of going from
# width 2 to 4 is measured on two RTN probes, so fallback types are counted as written.
quantize_flags=(--group-size "$group" -t "$threads")
"$lieq" quantize "$model" --uniform 2 --method rtn --format gguf -o "$work/probe-2.gguf" --force \
  "${quantize_flags[@]}" >/dev/null 2>&1
"$lieq" quantize "$model" --uniform 4 --method rtn --format gguf -o "$work/probe-4.gguf" --force \
  "${quantize_flags[@]}" >/dev/null 2>&1
layers=$("$lieq" inspect "$model" --json | jget num_layers)
per_block=$("$py" - "$(gguf_sizes "$work/probe-2.gguf")" "$(gguf_sizes "$work/probe-4.gguf")" "$layers" <<'PY'
import json, sys
p2, p4 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print((p4["block_bytes"] - p2["block_bytes"]) // int(sys.argv[3]))
PY
)
diag="$work/diag/diagnostics.json"

rows=()
for q in Q2_K Q2_K_S Q3_K_S; do
  mix=$(gguf_sizes "$work/llama-$q.gguf")
  target=$(echo "$mix" | jget tensor_bytes)
  et=$(echo "$mix" | jget embed_type | tr '[:upper:]' '[:lower:]')
  ht=$(echo "$mix" | jget head_type | tr '[:upper:]' '[:lower:]')
  types=(--embed-type "$et" --head-type "$ht")
  # RTN, all blocks at width 2, with these embedding/head types: the size the k blocks add to.
  rtn="lieq-rtn-k0-$et-$ht.gguf"
  [ -f "$work/$rtn" ] || "$lieq" quantize "$model" --uniform 2 --method rtn --format gguf \
    "${types[@]}" "${quantize_flags[@]}" -o "$work/$rtn" >"$work/${rtn%.gguf}.log" 2>&1
  base2=$(gguf_sizes "$work/$rtn" | jget tensor_bytes)
  k=$(( (target - base2) / per_block ))
  (( k < 0 )) && k=0
  (( k > layers )) && k=$layers
  rows+=("$q llama-$q.gguf")
  ks=("$k")
  (( next_up && k < layers )) && ks+=("$((k + 1))")
  for kk in "${ks[@]}"; do
    budget=$("$py" -c "print(2 + 2 * $kk / $layers)")
    file="lieq-gptq-k$kk-$et-$ht.gguf"
    if [ ! -f "$work/$file" ]; then
      if (( kk == 0 )); then
        plan=(--uniform 2)
      else
        [ -f "$diag" ] || "$lieq" diagnose "$model" --calib "$calib_jsonl" --samples 8 --seq 256 \
          --eval-text "$wiki" --eval-windows 4 -o "$work/diag" -t "$threads" >"$work/diag.log" 2>&1
        plan=(--budget "$budget" --bits 2,4 --rank-by "$rank_by" --diagnostics "$diag")
      fi
      "$lieq" quantize "$model" "${plan[@]}" --method gptq --format gguf --calib "$calib_jsonl" \
        --calib-samples "$calib_samples" "${types[@]}" "${quantize_flags[@]}" -o "$work/$file" \
        >"$work/${file%.gguf}.log" 2>&1
    fi
    rows+=("LieQ+GPTQ(k=$kk,$rank_by) $file")
  done
  rows+=("LieQ-RTN(k=0) $rtn")
done

# 4. Measure: sizes, llama.cpp PPL and KLD, lieq's PPL on our files, generation.
results="$work/results.jsonl"
: >"$results"
for row in "${rows[@]}"; do
  read -r label file <<<"$row"
  grep -q "\"file\": \"$file\"" "$results" && continue
  sizes=$(gguf_sizes "$work/$file")
  read -r ppl kld kld_se top top_se <<<"$(peer_ppl_kld "$work/$file")"
  ours="null"; gen="null"
  case "$file" in lieq-*)
    ours=$("$lieq" ppl "$work/$file" --text "$wiki" --protocol llama.cpp --chunks "$chunks" --json \
      -t "$threads" 2>/dev/null | "$py" -c 'import json,sys; print(json.load(sys.stdin)["ppl"])')
    gen=$(simple "$work/$file")
  esac
  echo "{\"label\": \"$label\", \"file\": \"$file\", \"sizes\": $sizes, \"ppl\": $ppl, \"kld\": $kld, \"kld_se\": $kld_se, \"same_top\": $top, \"same_top_se\": $top_se, \"lieq_ppl\": $ours, \"generation\": $gen}" >>"$results"
done

"$py" - "$results" "$work/results.md" "$base_ppl" "$chunks" "$name" "$(simple "$base")" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
base_ppl, chunks, name = float(sys.argv[3]), sys.argv[4], sys.argv[5]
out = [f"{name}, WikiText-2 test, llama-perplexity -c 512 --chunks {chunks} (F32 model PPL {base_ppl:.3f})", "",
       "| file | tensor bytes | bits/weight | llama.cpp PPL | KLD | same top token | lieq PPL (Δ) | types |",
       "|---|---|---|---|---|---|---|---|"]
status = 0
for r in rows:
    s = r["sizes"]
    ours = ""
    if r["lieq_ppl"] is not None:
        d = (r["lieq_ppl"] - r["ppl"]) / r["ppl"]
        ours = f"{r['lieq_ppl']:.3f} ({100*d:+.2f}%)"
        if abs(d) > 0.005: status = 1
    types = ", ".join(f"{k}×{v}" for k, v in s["types"].items())
    out.append(f"| {r['label']} | {s['tensor_bytes']} | {s['bpw']:.3f} | {r['ppl']:.3f} | "
               f"{r['kld']:.6f} ± {r['kld_se']:.6f} | {r['same_top']:.2f} ± {r['same_top_se']:.2f} % | {ours} | {types} |")
out.append(f"\n`llama-simple -n 32` on the F32 model: {json.loads(sys.argv[6])[:300]!r}")
for r in rows:
    if r["generation"] is not None:
        out.append(f"\n`llama-simple -n 32` on {r['file']}: {r['generation'][:300]!r}")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
sys.exit(status)
PY
