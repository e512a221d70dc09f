#!/usr/bin/env bash
# lieq vs llama.cpp on random-initialised Qwen3 and Llama-3 models (F32, real tokenizers and
# vocabularies, real block shapes, few blocks to keep it quick):
#   1. logits on a fixed prompt: lieq (HF folder), lieq (GGUF written by `lieq convert`) and
#      llama.cpp (the same GGUF) agree within max |Δ| <= 1e-3;
#   2. `lieq ppl --protocol llama.cpp` agrees with llama-perplexity within 0.1%.
# Needs the peer built by scripts/peer/build_llamacpp.sh (run here if missing). Not in CI: it
# builds llama.cpp (~10 minutes on 2 cores).
# Usage: scripts/compare_llamacpp.sh [WORKDIR] [--layers N] [--chunks N]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-build/compare}"
layers="${LAYERS:-4}"
chunks="${CHUNKS:-4}"
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
peer="${LIEQ_PEER_DIR:-$(pwd)/.cache/llama.cpp}"
lieq=build/src/cli/lieq
[ -x "$lieq" ] || scripts/build.sh
[ -x "$peer/build-lieq/llama_logits" ] || scripts/peer/build_llamacpp.sh
mkdir -p "$work"
prompt="The quick brown fox jumps over the lazy dog. In 1887, Tolstoy wrote: \"Happy families are all alike\"."
status=0
for spec in "qwen3 qwen3-0.6b qwen3" "llama llama-3.2-1b llama3"; do
  read -r name preset tok <<<"$spec"
  dir="$work/$name"
  [ -f "$dir/model.safetensors" ] || $lieq make-random --like "$preset" --layers "$layers" --seed 7 \
    --tokenizer "$shared/tokenizers/$tok/tokenizer.json" -o "$dir"
  [ -f "$work/$name.gguf" ] || $lieq convert "$dir" -o "$work/$name.gguf"
  ids=$($lieq tokenize "$dir" "$prompt" --json | /usr/bin/python3 -c 'import json,sys; print(",".join(map(str,json.load(sys.stdin)["ids"])))')
  peer_ids=$("$peer/build-lieq/llama_logits" "$work/$name.gguf" --dump-tokens "$prompt" 2>/dev/null | tail -1)
  echo "== $name: $(echo "$ids" | tr ',' '\n' | wc -l) tokens; tokenization identical to llama.cpp: $([ "$ids" = "$peer_ids" ] && echo yes || echo NO)"
  [ "$ids" = "$peer_ids" ] || status=1
  $lieq logits "$dir" --tokens "$ids" -o "$work/$name.hf.f32" --force >/dev/null
  $lieq logits "$work/$name.gguf" --tokens "$ids" -o "$work/$name.gguf.f32" --force >/dev/null
  "$peer/build-lieq/llama_logits" "$work/$name.gguf" --tokens "$ids" -o "$work/$name.peer.f32" >/dev/null 2>&1
  vocab=$($lieq inspect "$dir" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["vocab_size"])')
  for side in hf gguf; do
    echo -n "logits lieq($side) vs llama.cpp: "
    /usr/bin/python3 scripts/peer/compare_logits.py "$work/$name.$side.f32" "$work/$name.peer.f32" --n-vocab "$vocab" --tol 1e-3 || status=1
  done
  ours_hf=$($lieq ppl "$dir" --text "$shared/data/eval/wikitext2-test.raw" --protocol llama.cpp --chunks "$chunks" --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ppl"])')
  ours_gguf=$($lieq ppl "$work/$name.gguf" --text "$shared/data/eval/wikitext2-test.raw" --protocol llama.cpp --chunks "$chunks" --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ppl"])')
  theirs=""
  for attempt in 1 2 3; do  # llama.cpp's async logger sometimes drops the last line at exit
    theirs=$("$peer/build/bin/llama-perplexity" -m "$work/$name.gguf" -f "$shared/data/eval/wikitext2-test.raw" \
      -c 512 -b 512 --chunks "$chunks" -fa off -ctk f32 -ctv f32 -t 2 2>&1 | sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p')
    [ -n "$theirs" ] && break
  done
  /usr/bin/python3 - "$name" "$ours_hf" "$ours_gguf" "$theirs" <<'PY' || status=1
import sys
name, hf, gg, peer = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
worst = max(abs(hf - peer), abs(gg - peer)) / peer
print(f"ppl {name}: lieq(hf) {hf:.4f}  lieq(gguf) {gg:.4f}  llama-perplexity {peer:.4f}  max rel diff {worst:.2e} ({'ok' if worst <= 1e-3 else 'FAIL'} at 0.1%)")
sys.exit(0 if worst <= 1e-3 else 1)
PY
done
exit $status
