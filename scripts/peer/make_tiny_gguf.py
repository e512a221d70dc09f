#!/usr/bin/python3
"""Writes a small random Llama / Qwen2 / Qwen3 GGUF with llama.cpp's own writer (gguf-py from the
peer clone), to exercise llama.cpp and lieq on a file neither project's code produced.

    make_tiny_gguf.py OUT.gguf [--arch llama|qwen2|qwen3] [--n-embd 64] [--n-layer 2] ...
                      [--tokenizer tokenizer.json] [--dtype f32|f16] [--seed 0]

The vocabulary is either a tiny byte-level BPE (256 byte tokens, a handful of English merges and
BOS/EOS: n_vocab 300) or, with --tokenizer, a Hugging Face tokenizer.json's vocabulary and merges
(e.g. ../shared/tokenizers/llama3/tokenizer.json), so that tokenizers can be compared too.

Weights are N(0, 1/in_features) (embeddings N(0, 1)), so activations and logits stay O(1) and a
comparison is not trivially passed by near-zero numbers. The tensors are written in GGUF order as
llama.cpp reads them: for --arch llama the q/k rows are taken as already in llama.cpp's
interleaved-RoPE order (random weights have no "HF order" to permute from).

Needs gguf-py: run with PYTHONPATH=<llama.cpp clone>/gguf-py, or leave LIEQ_PEER_DIR / the default
<repo>/.cache/llama.cpp to be found.
"""

import argparse
import importlib
import json
import os
import sys

import numpy as np


def import_gguf():
    """gguf-py from the environment, else from the peer's clone of llama.cpp."""
    try:
        return importlib.import_module("gguf")
    except ImportError:
        pass
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    peer = os.environ.get("LIEQ_PEER_DIR", os.path.join(repo, ".cache", "llama.cpp"))
    sys.path.insert(0, os.path.join(peer, "gguf-py"))
    try:
        return importlib.import_module("gguf")
    except ImportError:
        sys.exit(f"make_tiny_gguf: gguf-py not found in {peer}/gguf-py: "
                 "run scripts/peer/build_llamacpp.sh first")


def byte_to_unicode():
    """Byte-level BPE's reversible byte -> printable character map: printable Latin-1 bytes stand
    for themselves, the others are shifted to code points 256 and up, in byte order."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) +
                 list(range(ord("®"), ord("ÿ") + 1)))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


# Merges of the tiny vocabulary, in rank order; "Ġ" is the byte-level form of a space. Each merge's
# operands are bytes or the results of earlier merges.
TINY_MERGES = ["Ġ t", "h e", "i n", "Ġ a", "e r", "o n", "Ġt he", "r e", "a n", "e n", "Ġ s",
               "Ġ w", "o r", "a t", "e d", "Ġ o", "i s", "n d", "Ġ c", "a r", "i t", "Ġo f",
               "Ġ b", "e s", "Ġ f", "l l", "o u", "Ġ m", "in g", "Ġ p", "Ġ in", "a l", "Ġ h",
               "an d", "Ġ d", "i c", "Ġa nd", "Ġt o"]


def tiny_vocab(gguf):
    b2u = byte_to_unicode()
    tokens = [b2u[b] for b in range(256)]
    types = [gguf.TokenType.NORMAL] * 256
    for m in TINY_MERGES:
        left, right = m.split(" ")
        assert left in tokens and right in tokens, m  # a programmer error in TINY_MERGES
        tokens.append(left + right)
        types.append(gguf.TokenType.NORMAL)
    tokens += ["<|begin_of_text|>", "<|end_of_text|>"]  # names llama.cpp knows as BOS / EOG
    types += [gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    return tokens, types, list(TINY_MERGES), len(tokens) - 2, len(tokens) - 1


def hf_vocab(gguf, path, n_vocab_pad):
    """Tokens, types, merges, bos, eos from a tokenizer.json (+ tokenizer_config.json beside it)."""
    try:
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        model = tj["model"]
        vocab = dict(model["vocab"])
        merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"make_tiny_gguf: {path}: not a byte-level BPE tokenizer.json ({e})")
    special = {}
    for t in tj.get("added_tokens", []):
        vocab[t["content"]] = t["id"]
        special[t["id"]] = bool(t.get("special", False))
    n_vocab = max(max(vocab.values()) + 1, n_vocab_pad or 0)
    tokens = [f"[PAD{i}]" for i in range(n_vocab)]
    types = [gguf.TokenType.UNUSED] * n_vocab
    for text, i in vocab.items():
        tokens[i] = text
        if i in special:
            types[i] = gguf.TokenType.CONTROL if special[i] else gguf.TokenType.USER_DEFINED
        else:
            types[i] = gguf.TokenType.NORMAL

    def special_id(name):
        cfg_path = os.path.join(os.path.dirname(path), "tokenizer_config.json")
        try:
            with open(cfg_path, encoding="utf-8") as f:
                value = json.load(f).get(name)
        except (OSError, ValueError):
            return None
        if isinstance(value, dict):
            value = value.get("content")
        return vocab.get(value) if isinstance(value, str) else None

    bos, eos = special_id("bos_token"), special_id("eos_token")
    if eos is None:
        sys.exit(f"make_tiny_gguf: {path}: no eos_token in the tokenizer_config.json beside it")
    return tokens, types, merges, bos if bos is not None else eos, eos


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("--arch", choices=["llama", "qwen2", "qwen3"], default="llama")
    p.add_argument("--n-embd", type=int, default=64)
    p.add_argument("--n-layer", type=int, default=2)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-head-kv", type=int, default=2)
    p.add_argument("--head-dim", type=int, help="default n_embd / n_head")
    p.add_argument("--n-ff", type=int, default=128)
    p.add_argument("--ctx", type=int, default=2048, help="context_length metadata")
    p.add_argument("--rope-theta", type=float, default=10000.0)
    p.add_argument("--rms-eps", type=float, default=1e-6)
    p.add_argument("--tokenizer", help="a byte-level BPE tokenizer.json to take the vocabulary from")
    p.add_argument("--n-vocab", type=int, help="pad the vocabulary to this size ([PADi] tokens)")
    p.add_argument("--tied", action="store_true", help="no output.weight: reuse token_embd")
    p.add_argument("--dtype", choices=["f32", "f16"], default="f32",
                   help="type of the 2-D weights (norms and biases stay f32)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    gguf = import_gguf()

    head_dim = a.head_dim or a.n_embd // a.n_head
    if a.n_head % a.n_head_kv or head_dim % 2 or a.n_embd <= 0 or a.n_layer <= 0:
        sys.exit("make_tiny_gguf: need n_head divisible by n_head_kv and an even head_dim")
    if a.tokenizer:
        tokens, types, merges, bos, eos = hf_vocab(gguf, a.tokenizer, a.n_vocab)
    else:
        tokens, types, merges, bos, eos = tiny_vocab(gguf)
    # The pre-tokenizer (split regex) of the real models of each architecture.
    pre = "llama-bpe" if a.arch == "llama" else "qwen2"
    n_vocab = len(tokens)

    w = gguf.GGUFWriter(a.out, a.arch)
    w.add_name(f"lieq-peer-tiny-{a.arch}")
    w.add_file_type(gguf.LlamaFileType.ALL_F32 if a.dtype == "f32" else gguf.LlamaFileType.MOSTLY_F16)
    w.add_vocab_size(n_vocab)
    w.add_context_length(a.ctx)
    w.add_embedding_length(a.n_embd)
    w.add_block_count(a.n_layer)
    w.add_feed_forward_length(a.n_ff)
    w.add_head_count(a.n_head)
    w.add_head_count_kv(a.n_head_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(a.rope_theta)
    w.add_layer_norm_rms_eps(a.rms_eps)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(a.arch == "llama")  # Llama-3 prepends <|begin_of_text|>; Qwen adds none

    rng = np.random.default_rng(a.seed)
    wtype = np.float32 if a.dtype == "f32" else np.float16
    T, N = gguf.MODEL_TENSOR, gguf.TENSOR_NAMES

    def linear(out_f, in_f):  # [out, in], N(0, 1/in)
        return (rng.standard_normal((out_f, in_f)) / np.sqrt(in_f)).astype(wtype)

    def norm(n):  # [n], around 1 so that a swapped or missing norm shows
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    def bias(n):  # [n]
        return (0.1 * rng.standard_normal(n)).astype(np.float32)

    d, q_dim, kv_dim = a.n_embd, a.n_head * head_dim, a.n_head_kv * head_dim
    w.add_tensor(N[T.TOKEN_EMBD] + ".weight", rng.standard_normal((n_vocab, d)).astype(wtype))  # [vocab, d]
    for i in range(a.n_layer):
        def name(t):
            return N[t].format(bid=i) + ".weight"

        w.add_tensor(name(T.ATTN_NORM), norm(d))                # [d]
        w.add_tensor(name(T.ATTN_Q), linear(q_dim, d))          # [heads*hd, d]
        w.add_tensor(name(T.ATTN_K), linear(kv_dim, d))         # [kv_heads*hd, d]
        w.add_tensor(name(T.ATTN_V), linear(kv_dim, d))         # [kv_heads*hd, d]
        if a.arch == "qwen2":
            w.add_tensor(N[T.ATTN_Q].format(bid=i) + ".bias", bias(q_dim))   # [heads*hd]
            w.add_tensor(N[T.ATTN_K].format(bid=i) + ".bias", bias(kv_dim))  # [kv_heads*hd]
            w.add_tensor(N[T.ATTN_V].format(bid=i) + ".bias", bias(kv_dim))  # [kv_heads*hd]
        if a.arch == "qwen3":
            w.add_tensor(name(T.ATTN_Q_NORM), norm(head_dim))   # [hd]
            w.add_tensor(name(T.ATTN_K_NORM), norm(head_dim))   # [hd]
        w.add_tensor(name(T.ATTN_OUT), linear(d, q_dim))        # [d, heads*hd]
        w.add_tensor(name(T.FFN_NORM), norm(d))                 # [d]
        w.add_tensor(name(T.FFN_GATE), linear(a.n_ff, d))       # [ff, d]
        w.add_tensor(name(T.FFN_UP), linear(a.n_ff, d))         # [ff, d]
        w.add_tensor(name(T.FFN_DOWN), linear(d, a.n_ff))       # [d, ff]
    w.add_tensor(N[T.OUTPUT_NORM] + ".weight", norm(d))         # [d]
    if not a.tied:
        w.add_tensor(N[T.OUTPUT] + ".weight", linear(n_vocab, d))  # [vocab, d]

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{a.out}: {a.arch}, n_vocab {n_vocab}, d {d}, layers {a.n_layer}, heads {a.n_head}/"
          f"{a.n_head_kv} x {head_dim}, ff {a.n_ff}, {a.dtype}")


if __name__ == "__main__":
    main()
