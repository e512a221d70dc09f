#!/usr/bin/python3
"""Runs llama.cpp's tokenizer test vectors (../shared/tokenizers/test-vectors/*.inp/.out) through
tools/peer/llama_logits --dump-tokens-file on a GGUF, to show that the GGUF's vocabulary (e.g.
one written by make_tiny_gguf.py --tokenizer) tokenizes exactly as llama.cpp's reference vocab.

    check_token_vectors.py MODEL.gguf VECTORS.inp [--llama-logits PATH]

The .inp file holds the cases separated by "\\n__ggml_vocab_test__\\n", the .out file one line of
space-separated ids per case (add_special=false, parse_special=false). Exits 1 on any mismatch.
"""

import argparse
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_TOOL = os.path.join(os.environ.get("LIEQ_PEER_DIR", os.path.join(REPO, ".cache", "llama.cpp")),
                            "build-lieq", "llama_logits")
SEPARATOR = "\n__ggml_vocab_test__\n"


def read_cases(inp_path):
    out_path = inp_path[: -len(".inp")] + ".out" if inp_path.endswith(".inp") else inp_path + ".out"
    try:
        with open(inp_path, encoding="utf-8", newline="") as f:
            raw = f.read()
        with open(out_path, encoding="utf-8") as f:
            expected = [line.rstrip("\n") for line in f]
    except OSError as e:
        sys.exit(f"check_token_vectors: {e.filename}: {e.strerror}")
    texts = raw.split(SEPARATOR)
    if texts and texts[-1] == "":  # the file ends with a separator
        texts.pop()
    if len(texts) != len(expected):
        sys.exit(f"check_token_vectors: {inp_path} has {len(texts)} cases, {out_path} "
                 f"{len(expected)} lines")
    return [(t, [int(x) for x in e.split()]) for t, e in zip(texts, expected)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("vectors", help="a *.inp file; the *.out beside it holds the expected ids")
    p.add_argument("--llama-logits", default=DEFAULT_TOOL)
    a = p.parse_args()

    failures = 0
    cases = read_cases(a.vectors)
    with tempfile.TemporaryDirectory() as tmp:
        text_path = os.path.join(tmp, "case.txt")
        for i, (text, want) in enumerate(cases):
            with open(text_path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            r = subprocess.run([a.llama_logits, a.model, "--dump-tokens-file", text_path,
                                "--no-add-special"], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"check_token_vectors: {a.llama_logits} failed on case {i}:\n{r.stderr}")
            line = r.stdout.strip()
            got = [int(x) for x in line.split(",")] if line else []
            if got != want:
                failures += 1
                print(f"case {i} {text!r}: expected {want}, got {got}")
    print(f"{len(cases) - failures}/{len(cases)} cases match ({os.path.basename(a.vectors)})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
