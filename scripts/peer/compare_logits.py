#!/usr/bin/python3
"""Compares two raw logits files (little-endian float32 [n_tokens x n_vocab], row-major), as
written by tools/peer/llama_logits and `lieq logits`.

Prints max |Δ|, mean |Δ| and the fraction of positions whose argmax agrees; exits 1 when
max |Δ| exceeds --tol (or either file holds NaN/Inf), 2 on a usage or file error.

    compare_logits.py A.f32 B.f32 --n-vocab 32000 [--tol 1e-3] [--json]

Uses Debian's numpy (/usr/bin/python3; scripts/peer/build_llamacpp.sh installs python3-numpy).
"""

import argparse
import json
import os
import sys

import numpy as np

# Default threshold on max |Δ|: float32 logits of the same model from two engines that differ
# only in summation order agree to ~1e-5 relative; 1e-3 absolute leaves room for logits of
# magnitude ~10-100 while still catching any real (layout, RoPE, norm) error, which shows as
# differences of order 0.1-10.
DEFAULT_TOL = 1e-3


def fail(message):
    print(f"compare_logits: {message}", file=sys.stderr)
    sys.exit(2)


def load(path, n_vocab, n_tokens):
    """Reads `path` as float32 [n_tokens x n_vocab]; the shape is derived from whichever is given."""
    try:
        size = os.path.getsize(path)
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    if size == 0 or size % 4:
        fail(f"{path}: {size} bytes is not a non-empty whole number of float32 values")
    count = size // 4
    if n_vocab is None:
        if count % n_tokens:
            fail(f"{path}: {count} values do not split into {n_tokens} rows")
        n_vocab = count // n_tokens
    if count % n_vocab:
        fail(f"{path}: {count} values do not split into rows of n_vocab={n_vocab}")
    if n_tokens is not None and count // n_vocab != n_tokens:
        fail(f"{path}: holds {count // n_vocab} rows of {n_vocab}, expected {n_tokens}")
    # np.memmap keeps a 150k-vocab x thousands-of-tokens file out of RAM until it is read.
    return np.memmap(path, dtype="<f4", mode="r", shape=(count // n_vocab, n_vocab))


def compare(a, b):
    """Statistics of b - a, computed row by row so that memory stays at one row of float64."""
    max_abs = 0.0
    sum_abs = 0.0
    worst = (0, 0)  # (position, vocab index) of max |Δ|
    agree = 0
    scale = 0.0  # max |a|: the magnitude the differences are measured against
    nonfinite = 0
    for i in range(a.shape[0]):
        ra = np.asarray(a[i], dtype=np.float64)
        rb = np.asarray(b[i], dtype=np.float64)
        bad = ~(np.isfinite(ra) & np.isfinite(rb))
        if bad.any():
            nonfinite += int(bad.sum())
            continue
        d = np.abs(rb - ra)
        j = int(d.argmax())
        if d[j] > max_abs:
            max_abs = float(d[j])
            worst = (i, j)
        sum_abs += float(d.sum())
        scale = max(scale, float(np.abs(ra).max()))
        agree += int(ra.argmax() == rb.argmax())
    n = a.shape[0]
    return {
        "n_tokens": n,
        "n_vocab": a.shape[1],
        "max_abs_diff": max_abs,
        "mean_abs_diff": sum_abs / (n * a.shape[1]),
        "worst_position": worst[0],
        "worst_token": worst[1],
        "max_abs_logit": scale,
        "argmax_agreement": agree / n,
        "nonfinite_values": nonfinite,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a", help="reference logits (e.g. llama_logits output)")
    p.add_argument("b", help="logits to check (e.g. lieq logits output)")
    p.add_argument("--n-vocab", type=int, help="row length (the model's vocabulary size)")
    p.add_argument("--n-tokens", type=int, help="row count (alternative to --n-vocab)")
    p.add_argument("--tol", type=float, default=DEFAULT_TOL,
                   help=f"fail when max |Δ| exceeds this (default {DEFAULT_TOL})")
    p.add_argument("--json", action="store_true", help="print the statistics as one JSON object")
    args = p.parse_args()
    if args.n_vocab is None and args.n_tokens is None:
        fail("give --n-vocab (or --n-tokens): the raw files carry no shape")
    for name in ("n_vocab", "n_tokens"):
        v = getattr(args, name)
        if v is not None and v <= 0:
            fail(f"--{name.replace('_', '-')} must be positive, got {v}")

    a = load(args.a, args.n_vocab, args.n_tokens)
    b = load(args.b, args.n_vocab, args.n_tokens)
    if a.shape != b.shape:
        fail(f"{args.a} is {a.shape[0]}x{a.shape[1]} but {args.b} is {b.shape[0]}x{b.shape[1]}")
    stats = compare(a, b)
    stats["tol"] = args.tol
    ok = stats["nonfinite_values"] == 0 and stats["max_abs_diff"] <= args.tol
    stats["pass"] = ok

    if args.json:
        print(json.dumps(stats))
    else:
        print(f"shape           {stats['n_tokens']} x {stats['n_vocab']}")
        print(f"max |Δ|         {stats['max_abs_diff']:.3e}  (position {stats['worst_position']}, "
              f"token {stats['worst_token']}; max |logit| {stats['max_abs_logit']:.3g})")
        print(f"mean |Δ|        {stats['mean_abs_diff']:.3e}")
        print(f"argmax agrees   {stats['argmax_agreement'] * 100:.2f}% of positions")
        if stats["nonfinite_values"]:
            print(f"non-finite      {stats['nonfinite_values']} values (NaN/Inf)")
        print(f"{'PASS' if ok else 'FAIL'} (tol {args.tol:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
