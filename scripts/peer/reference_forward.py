#!/usr/bin/python3
"""A float64 NumPy forward pass of a Llama / Qwen2 / Qwen3 GGUF, written from the architectures'
definitions: the independent check that tools/peer/llama_logits returns what the model computes
(and a third opinion when lieq and llama.cpp disagree). Slow; for small models only.

    reference_forward.py MODEL.gguf --tokens 1,2,3 -o OUT.f32

Writes little-endian float32 [n_tokens x n_vocab], the format of llama_logits. The tensors are
taken as llama.cpp interprets the file: Llama GGUFs rotate interleaved pairs (2i, 2i+1) in RoPE
(their q/k rows are stored permuted for that), Qwen2/Qwen3 rotate halves (i, i + hd/2).
Quantised tensors are dequantised with gguf-py. Needs gguf-py (found as make_tiny_gguf.py does).
"""

import argparse
import sys

import numpy as np

from make_tiny_gguf import import_gguf


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope(x, positions, base, freq_factors, interleaved):
    """x: [T, heads, hd]. Rotates pairs by pos * base^(-2i/hd) / freq_factors[i]."""
    hd = x.shape[-1]
    inv = base ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)  # [hd/2]
    if freq_factors is not None:
        inv = inv / freq_factors
    ang = positions[:, None] * inv[None, :]  # [T, hd/2]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    if interleaved:
        a, b = x[..., 0::2], x[..., 1::2]
    else:
        a, b = x[..., : hd // 2], x[..., hd // 2:]
    ra, rb = a * cos - b * sin, a * sin + b * cos
    out = np.empty_like(x)
    if interleaved:
        out[..., 0::2], out[..., 1::2] = ra, rb
    else:
        out[..., : hd // 2], out[..., hd // 2:] = ra, rb
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--tokens", required=True, help="comma-separated token ids")
    p.add_argument("-o", dest="out", required=True)
    a = p.parse_args()
    gguf = import_gguf()

    try:
        tokens = np.array([int(t) for t in a.tokens.split(",") if t.strip()], dtype=np.int64)
    except ValueError:
        sys.exit(f"reference_forward: --tokens: '{a.tokens}' is not a list of token ids")
    try:
        reader = gguf.GGUFReader(a.model)
    except (OSError, ValueError) as e:
        sys.exit(f"reference_forward: {a.model}: {e}")

    def meta(key, default=None):
        f = reader.get_field(key)
        if f is None:
            if default is None:
                sys.exit(f"reference_forward: {a.model}: no {key}")
            return default
        return f.contents()

    tensors = {}
    for t in reader.tensors:
        data = t.data
        if t.tensor_type not in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            data = gguf.quants.dequantize(data, t.tensor_type)
        tensors[t.name] = np.asarray(data, dtype=np.float64)  # row-major, PyTorch order

    def get(name):
        if name not in tensors:
            sys.exit(f"reference_forward: {a.model}: no tensor {name}")
        return tensors[name]

    arch = meta("general.architecture")
    if arch not in ("llama", "qwen2", "qwen3"):
        sys.exit(f"reference_forward: {a.model}: architecture {arch} is not llama/qwen2/qwen3")
    n_layer = meta(f"{arch}.block_count")
    n_head = meta(f"{arch}.attention.head_count")
    n_head_kv = meta(f"{arch}.attention.head_count_kv", n_head)
    d = meta(f"{arch}.embedding_length")
    hd = meta(f"{arch}.attention.key_length", d // n_head)
    eps = meta(f"{arch}.attention.layer_norm_rms_epsilon")
    base = meta(f"{arch}.rope.freq_base", 10000.0)
    freq_factors = tensors.get("rope_freqs.weight")  # [hd/2], Llama-3.1 style scaling
    embd = get("token_embd.weight")  # [vocab, d]
    if tokens.min() < 0 or tokens.max() >= embd.shape[0]:
        sys.exit(f"reference_forward: a token id is outside the vocabulary of {embd.shape[0]}")

    n = len(tokens)
    pos = np.arange(n, dtype=np.float64)
    causal = np.triu(np.full((n, n), -np.inf), k=1)  # [T, T]: no attending to later positions
    x = embd[tokens]  # [T, d]
    for i in range(n_layer):
        def w(name):
            return get(f"blk.{i}.{name}")

        h = rms_norm(x, w("attn_norm.weight"), eps)
        q = h @ w("attn_q.weight").T  # [T, heads*hd]
        k = h @ w("attn_k.weight").T  # [T, kv_heads*hd]
        v = h @ w("attn_v.weight").T  # [T, kv_heads*hd]
        if f"blk.{i}.attn_q.bias" in tensors:
            q, k, v = q + w("attn_q.bias"), k + w("attn_k.bias"), v + w("attn_v.bias")
        q, k, v = q.reshape(n, n_head, hd), k.reshape(n, n_head_kv, hd), v.reshape(n, n_head_kv, hd)
        if f"blk.{i}.attn_q_norm.weight" in tensors:  # Qwen3: RMSNorm over each head
            q = rms_norm(q, w("attn_q_norm.weight"), eps)
            k = rms_norm(k, w("attn_k_norm.weight"), eps)
        interleaved = arch == "llama"
        q = rope(q, pos, base, freq_factors, interleaved)
        k = rope(k, pos, base, freq_factors, interleaved)
        group = n_head // n_head_kv  # query heads per key/value head
        out = np.empty((n, n_head, hd))
        for hh in range(n_head):
            s = q[:, hh, :] @ k[:, hh // group, :].T / np.sqrt(hd) + causal  # [T, T]
            s = np.exp(s - s.max(axis=1, keepdims=True))
            out[:, hh, :] = (s / s.sum(axis=1, keepdims=True)) @ v[:, hh // group, :]
        x = x + out.reshape(n, n_head * hd) @ w("attn_output.weight").T
        h = rms_norm(x, w("ffn_norm.weight"), eps)
        g = h @ w("ffn_gate.weight").T
        x = x + ((g / (1.0 + np.exp(-g))) * (h @ w("ffn_up.weight").T)) @ w("ffn_down.weight").T
    x = rms_norm(x, get("output_norm.weight"), eps)
    logits = x @ tensors.get("output.weight", embd).T  # [T, vocab]; tied when no output.weight
    logits.astype("<f4").tofile(a.out)
    print(f"n_vocab={logits.shape[1]}\nn_tokens={n}")


if __name__ == "__main__":
    main()
