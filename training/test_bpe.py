"""Checks bpe.Tokenizer against llama.cpp's Qwen2 tokenizer test vectors on Qwen3's real
tokenizer.json (same vocabulary), so the encoder used to tokenize the training corpus is the
one the C++ engine must reproduce. Also round-trips a trained tokenizer when one is given.

usage: python3 training/test_bpe.py [--shared ../shared] [--tokenizer models/X/tokenizer.json]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402


def read_vectors(shared):
    base = os.path.join(shared, "tokenizers", "test-vectors", "ggml-vocab-qwen2.gguf")
    with open(base + ".inp", encoding="utf-8") as f:
        cases = f.read().split("\n__ggml_vocab_test__\n")
    # The file ends with a separator line, which leaves one empty trailing case.
    if cases and cases[-1] in ("", "\n"):
        cases.pop()
    with open(base + ".out", encoding="utf-8") as f:
        expected = [[int(x) for x in line.split()] for line in f.read().split("\n")[:len(cases)]]
    return cases, expected


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
    ap.add_argument("--tokenizer", default=None)
    args = ap.parse_args()

    tok = bpe.Tokenizer(os.path.join(args.shared, "tokenizers", "qwen3", "tokenizer.json"))
    cases, expected = read_vectors(args.shared)
    failed = 0
    for text, want in zip(cases, expected):
        got = tok.encode(text)
        if got != want:
            failed += 1
            print(f"MISMATCH {text!r}: got {got} want {want}")
    print(f"qwen2 vectors: {len(cases) - failed} passed, {failed} failed")

    if args.tokenizer:
        own = bpe.Tokenizer(args.tokenizer)
        for text in cases + ["<|endoftext|>Hello<|im_start|>user\nhi<|im_end|>", "naïve café"]:
            if own.decode(own.encode(text)) != bpe.normalize(text):
                failed += 1
                print(f"ROUND-TRIP FAILED {text!r}")
        print(f"{args.tokenizer}: round-trip checked on {len(cases) + 2} strings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
