#!/usr/bin/env bash
# LieQ GGUF against llama.cpp's own mixtures, measured by llama.cpp (docs/GGUF_EXPORT.md):
#   1. every GGUF lieq writes loads in llama-perplexity, whose PPL agrees with
#      `lieq ppl --protocol llama.cpp` on the same file within 0.5%, and llama-simple generates;
#   2. at equal whole-file size (tensor bytes: blocks, embeddings, head, norms), LieQ + GPTQ
#      (block widths from `lieq plan` on the LieQ diagnostics, GPTQ in the K-quant grids)
#      against llama-quantize's mixtures (MIXTURES; by default Q2_K, Q2_K_S, Q3_K_S and the IQ2
#      family) made with an importance matrix from the same calibration text: WikiText-2 test PPL
#      and KL-divergence against the unquantized model, both from llama-perplexity. The LieQ file
#      takes the embedding and head types of the llama.cpp file it is compared with (or the
#      closest type lieq writes, when llama.cpp chose an IQ type), so the two differ in the
#      blocks; LieQ's RTN in the same grids (no GPTQ) is measured too.
# For each mixture the LieQ plan is the largest one (budgets 2 + j/L, j = 0..2L, from
# `lieq plan PLAN_ARGS`) whose file is no larger than the mixture; a mixture smaller than every
# LieQ file (the IQ2 types below Q2_K's 2.625 bits) is compared with LieQ's smallest file and
# said so. A mixture llama-quantize cannot make for the model's shapes is listed as such.
# Models whose rows do not split into 256 (lieq-ref-llama: hidden 320) get the 32-column
# fallback types on both sides (docs/GGUF_EXPORT.md); the group size lieq's plan validation
# needs is the largest of 128, 64, 32 dividing every layer's input (GROUP_SIZE to override).
# Needs the peer built by scripts/peer/build_llamacpp.sh and lieq built in $BUILD.
# Usage: scripts/compare_gguf_llamacpp.sh [WORKDIR]
#   MODEL=models/lieq-ref-qwen3-s CHUNKS=50 BUILD=build CALIB_SAMPLES=128 GROUP_SIZE=
#   PLAN_ARGS="--rank-by kl --bits 2,3,4"   how `lieq plan` chooses widths (default: lieq's default
#                                           signal; add e.g. "--rank-by ppl --bits 2,4")
#   MIXTURES="Q2_K Q2_K_S Q3_K_S IQ2_XXS IQ2_XS IQ2_S IQ2_M"
#   NEXT_UP=1 also measures, for each mixture, the next larger LieQ plan.
#   EMBED_HEAD_TYPE=f32 gives llama-quantize (and so both sides) that type for token_embd and
#   output (--token-embedding-type/--output-tensor-type): the blocks alone are compared.
# Writes WORKDIR/results.md (a table for docs/RESULTS.md) and WORKDIR/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-build/compare-gguf}"
model="${MODEL:-models/lieq-ref-qwen3-s}"
chunks="${CHUNKS:-50}"
read -r -a plan_args <<<"${PLAN_ARGS:-}"
read -r -a mixtures <<<"${MIXTURES:-Q2_K Q2_K_S Q3_K_S IQ2_XXS IQ2_XS IQ2_S IQ2_M}"
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
per_block = collections.Counter()
for t in r.tensors:
    if t.name.startswith("blk."):
        per_block[int(t.name.split(".")[1])] += int(t.n_bytes)
named = {t.name: t.tensor_type.name for t in r.tensors}
embed = named.get("token_embd.weight", "")
print(json.dumps({"tensor_bytes": b, "weights": n, "file_bytes": os.path.getsize(sys.argv[1]),
                  "block_bytes": blk, "per_block": [per_block[i] for i in sorted(per_block)],
                  "embed_type": embed,
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

# 2. llama.cpp's own mixtures; one llama-quantize cannot make for these shapes is listed as such.
eh_flags=()
[ -n "$embed_head" ] && eh_flags=(--token-embedding-type "$embed_head" --output-tensor-type "$embed_head")
made=()
unmade=()
for q in "${mixtures[@]}"; do
  f="$work/llama-$q.gguf"
  if [ ! -f "$f" ] && ! "$bin/llama-quantize" --imatrix "$work/imatrix.dat" "${eh_flags[@]}" \
      "$base" "$f" "$q" "$threads" >"$work/quantize-$q.log" 2>&1; then
    rm -f "$f"
    unmade+=("$q: $(grep -v '^ *$' "$work/quantize-$q.log" | tail -1 | cut -c1-160)")
    continue
  fi
  made+=("$q")
done

# 3. LieQ at each mixture's size. The bytes of every block at each width come from RTN probes
# (uniform width, GGUF; fallback types counted as written), the plans from `lieq plan` on one
# diagnosis (proxy, dPPL on WikiText-2, measured KL per block and width with GPTQ).
quantize_flags=(--group-size "$group" -t "$threads")
layers=$("$lieq" inspect "$model" --json | jget num_layers)
probes=()
for w in 2 3 4 8; do
  [ -f "$work/probe-$w.gguf" ] || "$lieq" quantize "$model" --uniform "$w" --method rtn --format gguf \
    -o "$work/probe-$w.gguf" --force "${quantize_flags[@]}" >/dev/null 2>&1
  probes+=("$(gguf_sizes "$work/probe-$w.gguf")")
done
diag="$work/diag/diagnostics.json"
[ -f "$diag" ] || "$lieq" diagnose "$model" --calib "$calib_jsonl" --samples 16 --seq 512 \
  --eval-text "$wiki" --eval-windows 8 --sensitivity-bits 2,3,4,8 --sensitivity-method gptq \
  --group-size "$group" -o "$work/diag" -t "$threads" >"$work/diag.log" 2>&1
mkdir -p "$work/plans"
for j in $(seq 0 $((2 * layers))); do
  [ -f "$work/plans/$j.json" ] || "$lieq" plan --diagnostics "$diag" \
    --budget "$("$py" -c "print(2 + $j / $layers)")" "${plan_args[@]}" --group-size "$group" \
    -o "$work/plans/$j.json" --force >/dev/null
done

# The plans that fit under `target` tensor bytes, given the bytes outside the blocks: prints
# "BITS FITS" for the largest that fits (FITS 0: none fits, the smallest plan) and, with
# NEXT_UP, the next larger one.
choose_plans() {
  "$py" - "$work/plans" "$1" "$2" "$next_up" "${probes[@]}" <<'PY'
import glob, json, sys
plans_dir, target, outside, next_up = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
per_width = {w: json.loads(p)["per_block"] for w, p in zip((2, 3, 4, 8), sys.argv[5:])}
plans = {}
for f in glob.glob(plans_dir + "/*.json"):
    bits = json.load(open(f))["bits"]
    plans[tuple(bits)] = outside + sum(per_width[b][l] for l, b in enumerate(bits))
ordered = sorted(plans.items(), key=lambda kv: kv[1])
fits = [i for i, (_, size) in enumerate(ordered) if size <= target]
pick = fits[-1] if fits else 0
for i in [pick] + ([pick + 1] if next_up and fits and pick + 1 < len(ordered) else []):
    print("".join(map(str, ordered[i][0])), 1 if ordered[i][1] <= target else 0)
PY
}

rows=()
for q in "${made[@]}"; do
  mix=$(gguf_sizes "$work/llama-$q.gguf")
  target=$(echo "$mix" | jget tensor_bytes)
  # The mixture's embedding and head types; llama.cpp's IQ types map to the K type of their
  # width, the closest type lieq writes.
  lieq_type() {
    case "$1" in
      iq1_*|iq2_*) echo q2_k ;;
      iq3_*) echo q3_k ;;
      iq4_*) echo q4_k ;;
      *) echo "$1" ;;
    esac
  }
  et=$(lieq_type "$(echo "$mix" | jget embed_type | tr '[:upper:]' '[:lower:]')")
  ht=$(lieq_type "$(echo "$mix" | jget head_type | tr '[:upper:]' '[:lower:]')")
  types=(--embed-type "$et" --head-type "$ht")
  # RTN, all blocks at width 2, with these embedding/head types: the bytes outside the blocks.
  rtn="lieq-rtn-k0-$et-$ht.gguf"
  [ -f "$work/$rtn" ] || "$lieq" quantize "$model" --uniform 2 --method rtn --format gguf \
    "${types[@]}" "${quantize_flags[@]}" -o "$work/$rtn" >"$work/${rtn%.gguf}.log" 2>&1
  rtn_sizes=$(gguf_sizes "$work/$rtn")
  outside=$(( $(echo "$rtn_sizes" | jget tensor_bytes) - $(echo "$rtn_sizes" | jget block_bytes) ))
  rows+=("$q llama-$q.gguf")
  while read -r bits fits; do
    file="lieq-gptq-$bits-$et-$ht.gguf"
    if [ ! -f "$work/$file" ]; then
      "$py" - "$work/plans" "$bits" "$work/plan-$bits.json" <<'PY'
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*.json"):
    p = json.load(open(f))
    if "".join(map(str, p["bits"])) == sys.argv[2]:
        json.dump(p, open(sys.argv[3], "w"))
        break
PY
      "$lieq" quantize "$model" --plan "$work/plan-$bits.json" --method gptq --format gguf \
        --calib "$calib_jsonl" --calib-samples "$calib_samples" "${types[@]}" "${quantize_flags[@]}" \
        -o "$work/$file" >"$work/${file%.gguf}.log" 2>&1
    fi
    label="LieQ+GPTQ[$bits]"
    (( fits )) || label="LieQ+GPTQ[$bits](larger)"
    rows+=("$label $file")
  done < <(choose_plans "$target" "$outside")
  rows+=("LieQ-RTN[all-2] $rtn")
done

# 4. Measure: sizes, llama.cpp PPL and KLD, lieq's PPL on our files, generation. Each file is
# measured once per WORKDIR (WORKDIR/measured.jsonl; files are never rewritten there) and listed
# under every mixture it is compared with.
results="$work/results.jsonl"
measured="$work/measured.jsonl"
touch "$measured"
: >"$results"
for row in "${rows[@]}"; do
  read -r label file <<<"$row"
  if ! grep -q "\"file\": \"$file\"" "$measured"; then
    sizes=$(gguf_sizes "$work/$file")
    read -r ppl kld kld_se top top_se <<<"$(peer_ppl_kld "$work/$file")"
    ours="null"; gen="null"
    case "$file" in lieq-*)
      ours=$("$lieq" ppl "$work/$file" --text "$wiki" --protocol llama.cpp --chunks "$chunks" --json \
        -t "$threads" 2>/dev/null | "$py" -c 'import json,sys; print(json.load(sys.stdin)["ppl"])')
      gen=$(simple "$work/$file")
    esac
    echo "{\"file\": \"$file\", \"sizes\": $sizes, \"ppl\": $ppl, \"kld\": $kld, \"kld_se\": $kld_se, \"same_top\": $top, \"same_top_se\": $top_se, \"lieq_ppl\": $ours, \"generation\": $gen}" >>"$measured"
  fi
  grep "\"file\": \"$file\"" "$measured" | head -1 | \
    "$py" -c 'import json,sys; r = json.loads(sys.stdin.read()); r["label"] = sys.argv[1]; print(json.dumps(r))' "$label" >>"$results"
done

printf '%s\n' "${unmade[@]}" >"$work/unmade.txt"
"$py" - "$results" "$work/results.md" "$base_ppl" "$chunks" "$name" "$(simple "$base")" "$work/unmade.txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
unmade = [l.strip() for l in open(sys.argv[7]) if l.strip()]
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
# The verdict per mixture: the LieQ file of equal or smaller size listed under it.
out.append("")
mixture = None
for i, r in enumerate(rows):
    if not r["label"].startswith("LieQ"):
        mixture = r
        fit = next((x for x in rows[i + 1:] if x["label"].startswith("LieQ+GPTQ[") and "(larger)" not in x["label"]
                    and x["sizes"]["tensor_bytes"] <= r["sizes"]["tensor_bytes"]), None)
        nxt = next((i + 1 + k for k, x in enumerate(rows[i + 1:]) if not x["label"].startswith("LieQ")), len(rows))
        fit = fit if fit in rows[i + 1:nxt] else None
        if fit:
            out.append(f"- {r['label']} ({r['sizes']['bpw']:.3f} bits/weight): LieQ {fit['label'][10:-1]} at "
                       f"{fit['sizes']['bpw']:.3f} has {100 * (1 - fit['kld'] / r['kld']):.0f}% lower KLD "
                       f"({fit['kld']:.4f} vs {r['kld']:.4f})")
        else:
            small = min((x for x in rows if x["label"].startswith("LieQ+GPTQ[")), key=lambda x: x["sizes"]["tensor_bytes"])
            out.append(f"- {r['label']} ({r['sizes']['bpw']:.3f} bits/weight, KLD {r['kld']:.4f}): smaller than every "
                       f"LieQ file; LieQ's smallest ({small['sizes']['bpw']:.3f} bits/weight) has KLD {small['kld']:.4f}")
out.append("\nLieQ[bits]: widths of blocks 0..L-1 (2 = Q2_K, 3 = Q3_K, 4 = Q4_K, 8 = Q8_0); "
           "(larger): no LieQ file fits under the mixture above it, this is LieQ's smallest.")
for u in unmade:
    out.append(f"\nllama-quantize could not make {u}")
out.append(f"\n`llama-simple -n 32` on the F32 model: {json.loads(sys.argv[6])[:300]!r}")
seen = set()
for r in rows:
    if r["generation"] is not None and r["file"] not in seen:
        seen.add(r["file"])
        out.append(f"\n`llama-simple -n 32` on {r['file']}: {r['generation'][:300]!r}")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
sys.exit(status)
PY
