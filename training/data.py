"""Training data: tokenizes data/train once into uint16 token files and serves batches.

Every *.txt file is one document followed by <|endoftext|>. The last 1% of each document's
tokens is held out as validation, so validation covers every source (books, Wikipedia,
speeches, Shakespeare) in proportion; it is never seen in training.
"""

import glob
import hashlib
import json
import os

import numpy as np
import torch

import bpe

VAL_FRACTION = 0.01


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def prepare(data_dir, tokenizer_path, out_dir):
    """Writes out_dir/{train,val}.bin (uint16) + meta.json unless they exist for this tokenizer.

    Returns the meta dict. Re-tokenizes when the tokenizer file changed (hash in meta.json).
    """
    meta_path = os.path.join(out_dir, "meta.json")
    tok_hash = _sha256(tokenizer_path)
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("tokenizer_sha256") == tok_hash:
            return meta
    paths = sorted(glob.glob(os.path.join(data_dir, "*.txt")))
    if not paths:
        raise FileNotFoundError(f"{data_dir}: no .txt files")
    tok = bpe.Tokenizer(tokenizer_path)
    eot = tok.specials["<|endoftext|>"]
    if max(tok.vocab.values()) >= 1 << 16:
        raise ValueError(f"{tokenizer_path}: vocabulary does not fit uint16 token files")
    train, val = [], []
    n_bytes = 0
    for p in paths:
        with open(p, encoding="utf-8") as f:
            text = f.read()
        n_bytes += len(text.encode("utf-8"))
        # Plain text: a literal "<|endoftext|>" inside a book must not become the special id.
        ids = tok.encode(text, allow_special=False) + [eot]
        cut = len(ids) - max(1, int(len(ids) * VAL_FRACTION))
        train.extend(ids[:cut])
        val.extend(ids[cut:])
    os.makedirs(out_dir, exist_ok=True)
    for name, ids in (("train", train), ("val", val)):
        tmp = os.path.join(out_dir, name + ".bin.tmp")
        np.asarray(ids, dtype=np.uint16).tofile(tmp)
        os.replace(tmp, os.path.join(out_dir, name + ".bin"))
    meta = {"files": len(paths), "bytes": n_bytes, "train_tokens": len(train),
            "val_tokens": len(val), "tokenizer_sha256": tok_hash, "val_fraction": VAL_FRACTION,
            "eot_id": eot}
    tmp = meta_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=2)
    os.replace(tmp, meta_path)
    return meta


def load_tokens(out_dir, split):
    return np.memmap(os.path.join(out_dir, split + ".bin"), dtype=np.uint16, mode="r")


def train_batch(tokens, batch, ctx, seed, step, micro):
    """Random windows of ctx+1 tokens; a pure function of (seed, step, micro) so a resumed run
    draws exactly the batches the uninterrupted run would have."""
    rng = np.random.default_rng([seed, step, micro])
    starts = rng.integers(0, len(tokens) - ctx - 1, size=batch)
    x = np.stack([tokens[s:s + ctx + 1] for s in starts]).astype(np.int64)
    return torch.from_numpy(x)


def val_batches(tokens, batch, ctx, max_windows):
    """Fixed non-overlapping windows from the start of the validation tokens."""
    n = min(max_windows, (len(tokens) - 1) // ctx)
    windows = [np.asarray(tokens[i * ctx:i * ctx + ctx + 1], dtype=np.int64) for i in range(n)]
    for i in range(0, n, batch):
        yield torch.from_numpy(np.stack(windows[i:i + batch]))
