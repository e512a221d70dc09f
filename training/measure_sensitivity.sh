#!/bin/bash
# Quantization sensitivity of a reference model, measured by the C++ `lieq` (issue 17):
# perplexity (GPTQ protocol: independent windows of 512 tokens, every token scored) of the
# float model, uniform 2-bit RTN, 2-bit GPTQ, 3-bit RTN and 4-bit RTN (all group 64), and of the
# float model with each block skipped (ΔPPL per block), on the held-out 1% of the training corpus
# and on WikiText-2 test. Writes OUT/results.json and OUT/table.md (the model card's table).
#
# usage: training/measure_sensitivity.sh [MODEL] [OUT]
#   MODEL default models/lieq-ref-qwen3-s, OUT default training/runs/sens-<name>
#   LIEQ=path/to/lieq (default build/src/cli/lieq), THREADS (default 2)
#   HELDOUT=text file of the held-out split (default training/runs/heldout-s.txt, written by
#   run_sensitive.sh / heldout_text.py)
#   WIKI_CHUNKS: score only the first N windows of WikiText-2 (default 0 = all)
#   SKIP_CHUNKS: windows per text for the block-skip runs (default 0 = all)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/lieq-ref-qwen3-s}
NAME=$(basename "$MODEL")
OUT=${2:-training/runs/sens-$NAME}
LIEQ=${LIEQ:-build/src/cli/lieq}
THREADS=${THREADS:-2}
HELDOUT=${HELDOUT:-training/runs/heldout-s.txt}
WIKI=../shared/data/eval/wikitext2-test.raw
CALIB=../shared/data/calib/c4-train-00000-head1000.jsonl
CTX=512
WIKI_CHUNKS=${WIKI_CHUNKS:-0}
SKIP_CHUNKS=${SKIP_CHUNKS:-0}
chunks() { [ "$1" -gt 0 ] && echo "--chunks $1" || true; }
mkdir -p "$OUT"

if [ ! -e "$HELDOUT" ]; then
  /usr/bin/python3 training/heldout_text.py --tokenizer "$MODEL/tokenizer.json" --out "$HELDOUT"
fi

quant() {  # name, group, args...
  local name=$1 group=$2; shift 2
  [ -e "$OUT/$name/config.json" ] || \
    $LIEQ quantize "$MODEL" "$@" --group-size "$group" -o "$OUT/$name" --force -t "$THREADS"
}
gptq=(--method gptq --calib "$CALIB" --calib-samples 128 --calib-seq $CTX --seed 0)
for g in 64 128; do
  s=$([ $g = 64 ] || echo g$g)  # names: rtn2 (group 64), rtn2g128 (group 128)
  quant rtn2$s $g --uniform 2 --method rtn
  quant gptq2$s $g --uniform 2 "${gptq[@]}"
  quant rtn3$s $g --uniform 3 --method rtn
  quant rtn4$s $g --uniform 4 --method rtn
done

ppl() {  # tag, model, text, extra args...
  local tag=$1 model=$2 text=$3; shift 3
  [ -s "$OUT/$tag.json" ] || \
    $LIEQ ppl "$model" --text "$text" --ctx $CTX -t "$THREADS" --json "$@" > "$OUT/$tag.json"
  echo "$tag: $(grep -o '"ppl": [0-9.]*' "$OUT/$tag.json")"
}
for set in heldout wiki; do
  text=$HELDOUT; c=""
  [ $set = wiki ] && text=$WIKI && c=$(chunks "$WIKI_CHUNKS")
  ppl $set-fp "$MODEL" "$text" $c
  for q in rtn2 gptq2 rtn3 rtn4 rtn2g128 gptq2g128 rtn3g128 rtn4g128; do
    ppl $set-$q "$OUT/$q" "$text" $c
  done
  # The skip runs compare with the FP run on the same windows.
  c=$(chunks "$SKIP_CHUNKS")
  [ -n "$c" ] && ppl $set-fpskipref "$MODEL" "$text" $c
  n=$(/usr/bin/python3 -c "import json; print(json.load(open('$MODEL/config.json'))['num_hidden_layers'])")
  for ((b = 0; b < n; b++)); do ppl $set-skip$b "$MODEL" "$text" --skip-block $b $c; done
done

/usr/bin/python3 - "$OUT" "$MODEL" <<'EOF'
import json, math, os, sys
out, model = sys.argv[1], sys.argv[2]
n = json.load(open(os.path.join(model, "config.json")))["num_hidden_layers"]
# The perplexity runs are OUT/<set>-<tag>.json (the quantized folders' sidecars are not).
r = {os.path.splitext(f)[0]: json.load(open(os.path.join(out, f)))
     for f in os.listdir(out) if f.startswith(("heldout-", "wiki-")) and f.endswith(".json")}
sets = [("heldout", "held-out 1% of the training corpus"), ("wiki", "WikiText-2 test")]
rows = [("FP (BF16 weights)", "fp")] + [
    (f"uniform {label}, g{g}", tag + ("" if g == 64 else f"g{g}")) for g in (64, 128)
    for label, tag in (("2-bit RTN", "rtn2"), ("2-bit GPTQ", "gptq2"), ("3-bit RTN", "rtn3"),
                       ("4-bit RTN", "rtn4"))]
lines = ["| weights | " + " | ".join(f"{d}: PPL ± s.e. | × FP" for _, d in sets) + " |",
         "|---|" + "---|---|" * len(sets)]
for label, q in rows:
    cells = []
    for s, _ in sets:
        x, fp = r[f"{s}-{q}"], r[f"{s}-fp"]
        cells.append(f"{x['ppl']:.3f} ± {x['ppl_stderr']:.3f} | {x['ppl'] / fp['ppl']:.3f}")
    lines.append(f"| {label} | " + " | ".join(cells) + " |")
lines += ["", "| block skipped | " + " | ".join(f"{d}: PPL | ΔPPL" for _, d in sets) + " |",
          "|---|" + "---|---|" * len(sets)]
summary = {}
def skip_ref(s):  # the FP run on the windows the skip runs scored
    return r.get(f"{s}-fpskipref", r[f"{s}-fp"])
for b in range(n):
    cells = []
    for s, _ in sets:
        x, fp = r[f"{s}-skip{b}"], skip_ref(s)
        cells.append(f"{x['ppl']:.3f} | {x['ppl'] - fp['ppl']:+.3f}")
    lines.append(f"| {b} | " + " | ".join(cells) + " |")
for s, d in sets:
    deltas = [r[f"{s}-skip{b}"]["ppl"] - skip_ref(s)["ppl"] for b in range(n)]
    pos = [x for x in deltas if x > 0]
    ratio = max(deltas) / min(pos) if pos else float("nan")
    summary[s] = {"max_min_dppl_ratio": ratio}
    lines.append(f"\n{d}: max/min ΔPPL over blocks = {ratio:.1f} (block {deltas.index(max(deltas))} "
                 f"most, block {deltas.index(min(deltas))} least important).")
    for group, suffix in ((64, ""), (128, "g128")):
        g, fp, r2 = r[f"{s}-gptq2{suffix}"], r[f"{s}-fp"], r[f"{s}-rtn2{suffix}"]
        summary[s][f"g{group}"] = {
            "rtn2_x": r2["ppl"] / fp["ppl"], "rtn4_x": r[f"{s}-rtn4{suffix}"]["ppl"] / fp["ppl"],
            "gptq2_x": g["ppl"] / fp["ppl"],
            "gptq2_minus_fp_in_se": (g["ppl"] - fp["ppl"]) / g["ppl_stderr"],
            "rtn2_minus_gptq2_in_se": (r2["ppl"] - g["ppl"]) / g["ppl_stderr"]}
        m = summary[s][f"g{group}"]
        lines.append(f"{d}, group {group}: 2-bit RTN x{m['rtn2_x']:.3f}, 4-bit RTN "
                     f"x{m['rtn4_x']:.3f}; 2-bit GPTQ x{m['gptq2_x']:.3f}, "
                     f"{m['gptq2_minus_fp_in_se']:.1f} s.e. above FP and "
                     f"{m['rtn2_minus_gptq2_in_se']:.1f} s.e. below 2-bit RTN.")
tokens = {s: r[f"{s}-fp"]["tokens_scored"] for s, _ in sets}
skip_tokens = {s: skip_ref(s)["tokens_scored"] for s, _ in sets}
lines.append(f"\nTokens scored: held-out {tokens['heldout']}, WikiText-2 {tokens['wiki']} "
             f"(block-skip rows: {skip_tokens['heldout']} / {skip_tokens['wiki']}); windows of "
             f"{r['heldout-fp']['ctx']}, GPTQ protocol; s.e. by the delta method from the "
             f"per-token NLL variance.")
open(os.path.join(out, "table.md"), "w").write("\n".join(lines) + "\n")
json.dump({"runs": r, "summary": summary}, open(os.path.join(out, "results.json"), "w"), indent=1)
print("\n".join(lines))
EOF
