#!/usr/bin/env bash
# End-to-end check of the peer set-up (about 2 minutes once llama.cpp is built):
#  1. builds llama.cpp and tools/peer (build_llamacpp.sh; seconds when already built);
#  2. writes tiny random llama / qwen2 / qwen3 GGUFs with llama.cpp's gguf-py (make_tiny_gguf.py);
#  3. llama_logits on each must match the float64 NumPy forward (reference_forward.py);
#  4. llama_logits is deterministic across thread counts;
#  5. GGUFs with the real Llama-3 / Qwen3 vocabularies tokenize llama.cpp's test vectors exactly;
#  6. llama-perplexity, llama-quantize, llama-imatrix and llama-bench run on a tiny model.
# Usage: scripts/peer/selftest.sh [WORKDIR]   (default: a temporary folder, removed afterwards)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
shared="${LIEQ_SHARED_DIR:-$repo/../shared}"
peer_dir="${LIEQ_PEER_DIR:-$repo/.cache/llama.cpp}"
bin="$peer_dir/build/bin"
logits="$peer_dir/build-lieq/llama_logits"
py=/usr/bin/python3

# llama.cpp (F32 weights, F32 KV cache, no flash attention) against a float64 forward of the
# same file: only float32 rounding separates them, observed <= 2.2e-6 on logits of magnitude ~5;
# 1e-4 still catches any real error (wrong RoPE pairing, norm, bias: differences of 0.1 and up).
ref_tol=1e-4

if [ $# -ge 1 ]; then
  work="$1"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi

"$here/build_llamacpp.sh" >/dev/null
text="The quick brown fox jumps over the lazy dog; and then, in the end, the story is told."

for arch in llama qwen2 qwen3; do
  model="$work/tiny-$arch.gguf"
  $py "$here/make_tiny_gguf.py" "$model" --arch "$arch" --seed 1 >/dev/null
  tokens="$("$logits" "$model" --dump-tokens "$text" 2>/dev/null)"
  "$logits" "$model" --tokens "$tokens" -o "$work/$arch-peer.f32" --threads 2 >/dev/null
  "$logits" "$model" --tokens "$tokens" -o "$work/$arch-peer-t1.f32" --threads 1 >/dev/null
  $py "$here/reference_forward.py" "$model" --tokens "$tokens" -o "$work/$arch-ref.f32" >/dev/null
  echo "== $arch: llama_logits vs float64 reference"
  $py "$here/compare_logits.py" "$work/$arch-ref.f32" "$work/$arch-peer.f32" --n-vocab 296 \
    --tol "$ref_tol"
  echo "== $arch: 2 threads vs 1 thread"
  $py "$here/compare_logits.py" "$work/$arch-peer.f32" "$work/$arch-peer-t1.f32" --n-vocab 296 \
    --tol 0
done

vectors="$shared/tokenizers/test-vectors"
for pair in "llama:llama3:llama-bpe" "qwen3:qwen3:qwen2"; do
  IFS=: read -r arch tok vec <<<"$pair"
  model="$work/vocab-$tok.gguf"
  $py "$here/make_tiny_gguf.py" "$model" --arch "$arch" \
    --tokenizer "$shared/tokenizers/$tok/tokenizer.json" >/dev/null
  echo "== $tok vocabulary: llama.cpp's tokenizer test vectors"
  $py "$here/check_token_vectors.py" "$model" "$vectors/ggml-vocab-$vec.gguf.inp"
done

# llama.cpp's tools log through an intentionally leaked asynchronous logger (upstream PR #22273),
# so the last lines, "Final estimate" included, are now and then lost at exit: try again.
perplexity() {
  local out
  for _ in 1 2 3; do
    out="$("$bin/llama-perplexity" "$@" 2>&1 | grep "Final estimate" || true)"
    if [ -n "$out" ]; then
      echo "$out"
      return 0
    fi
  done
  echo "selftest: llama-perplexity $* printed no final estimate in 3 runs" >&2
  return 1
}

echo "== llama-perplexity / llama-quantize / llama-imatrix / llama-bench on tiny-llama"
model="$work/tiny-llama.gguf"
wiki="$shared/data/eval/wikitext2-test.raw"
perplexity -m "$model" -f "$wiki" -c 128 --chunks 8 -t 2 -fa off -ctk f32 -ctv f32
"$bin/llama-quantize" "$model" "$work/tiny-llama-q4_0.gguf" Q4_0 2 >/dev/null 2>&1
head -c 20000 "$wiki" >"$work/calib.txt"
"$bin/llama-imatrix" -m "$model" -f "$work/calib.txt" -c 128 --chunks 4 -t 2 \
  -o "$work/tiny-llama.imatrix.gguf" >/dev/null 2>&1
"$bin/llama-quantize" --imatrix "$work/tiny-llama.imatrix.gguf" "$model" \
  "$work/tiny-llama-iq2_xxs.gguf" IQ2_XXS 2 >/dev/null 2>&1
perplexity -m "$work/tiny-llama-iq2_xxs.gguf" -f "$wiki" -c 128 --chunks 8 -t 2
bench="$("$bin/llama-bench" -m "$model" -p 64 -n 16 -t 2 -r 1 2>/dev/null)"
grep "pp64" <<<"$bench" >/dev/null
echo "selftest: all peer checks passed"
