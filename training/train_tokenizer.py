"""Trains the reference models' byte-level BPE tokenizer on /work/shared/data/train.

Output mirrors Qwen3's tokenizer.json (NFC normaliser, Split(Qwen2 regex) + ByteLevel
pre-tokenizer, ByteLevel decoder/post-processor, BPE model with [left, right] merges) so the
project's loader, written for real Qwen files, reads it unchanged.

Ids: 0..255 are the byte tokens in GPT-2 alphabet order (as in Qwen), then merged tokens in
merge order, then the special tokens <|endoftext|>, <|im_start|>, <|im_end|> last.

usage: python3 training/train_tokenizer.py --data ../shared/data/train --out training/runs/tokenizer
"""

import argparse
import collections
import glob
import heapq
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# ChatML, as Qwen uses: lets `lieq generate` build chat prompts even for this base model.
CHAT_TEMPLATE = ("{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + "
                 "message.content + '<|im_end|>' + '\\n' }}{%- endfor %}"
                 "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")


def count_words(paths):
    """Word-frequency table of byte-level pieces over all files (NFC first, as the tokenizer)."""
    counts = collections.Counter()
    for p in paths:
        with open(p, encoding="utf-8") as f:
            counts.update(bpe.split_words(bpe.normalize(f.read())))
    byte_level = collections.Counter()
    for w, c in counts.items():
        byte_level[bpe.to_byte_level(w)] += c
    return byte_level


def train_merges(word_counts, num_tokens, log_every=500):
    """Greedy BPE: merges the most frequent adjacent pair until there are `num_tokens` tokens.

    Keeps pair counts and a pair -> words index, and updates both only for the words that
    contain the merged pair, so each merge costs what it touches, not the whole corpus. A
    max-heap with lazy deletion finds the best pair: stale entries (count dropped since they
    were pushed) are re-pushed with the current count when popped.
    Ties go to the lexicographically smallest (left, right) string pair, for determinism.
    """
    alphabet = [c for _, c in bpe.bytes_to_unicode()]
    token_id = {c: i for i, c in enumerate(alphabet)}
    tokens = list(alphabet)
    words = [[token_id[ch] for ch in w] for w in word_counts]
    freqs = list(word_counts.values())

    pair_counts = collections.defaultdict(int)
    where = collections.defaultdict(set)
    for wi, (w, f) in enumerate(zip(words, freqs)):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += f
            where[(a, b)].add(wi)

    def key(pair, count):
        return (-count, tokens[pair[0]], tokens[pair[1]], pair)

    heap = [key(p, c) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    t0 = time.time()
    while len(tokens) < num_tokens and heap:
        neg, _, _, pair = heapq.heappop(heap)
        current = pair_counts.get(pair, 0)
        if current <= 0:
            continue
        if -neg != current:
            heapq.heappush(heap, key(pair, current))
            continue
        a, b = pair
        text = tokens[a] + tokens[b]
        # (a, bc) and (ab, c) can both spell "abc": reuse the id so the vocabulary has no
        # duplicate strings; the merge is still recorded (HF does the same).
        new = token_id.get(text)
        if new is None:
            new = len(tokens)
            tokens.append(text)
            token_id[text] = new
        merges.append((tokens[a], tokens[b]))
        touched = {}
        for wi in list(where[pair]):
            w, f = words[wi], freqs[wi]
            for p in zip(w, w[1:]):
                pair_counts[p] -= f
                touched[p] = True
            out, i = [], 0
            while i < len(w):
                if i < len(w) - 1 and w[i] == a and w[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            words[wi] = out
            for p in zip(w, w[1:]):
                where[p].discard(wi)
            for p in zip(out, out[1:]):
                pair_counts[p] += f
                where[p].add(wi)
                touched[p] = True
        for p in touched:
            c = pair_counts[p]
            if c <= 0:
                pair_counts.pop(p, None)
                where.pop(p, None)
            else:
                heapq.heappush(heap, key(p, c))
        if len(merges) % log_every == 0:
            print(f"  {len(merges)} merges, last {text!r} x{current}, {time.time() - t0:.0f}s",
                  flush=True)
    return tokens, merges


def added_token(i, content):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def tokenizer_json(tokens, merges):
    n = len(tokens)
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                  "use_regex": False}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added_token(n + k, s) for k, s in enumerate(SPECIAL_TOKENS)],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": bpe.QWEN2_SPLIT}, "behavior": "Isolated",
                 "invert": False},
                dict(byte_level),
            ],
        },
        "post_processor": dict(byte_level),
        "decoder": dict(byte_level),
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(tokens)},
            "merges": [list(m) for m in merges],
        },
    }


def tokenizer_config_json(num_tokens, model_max_length):
    decoder = {}
    for k, s in enumerate(SPECIAL_TOKENS):
        entry = added_token(num_tokens + k, s)
        decoder[str(entry.pop("id"))] = {k2: entry[k2] for k2 in sorted(entry) if k2 != "id"}
    return {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": SPECIAL_TOKENS[1:],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": SPECIAL_TOKENS[0],
        "errors": "replace",
        "model_max_length": model_max_length,
        "pad_token": SPECIAL_TOKENS[0],
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data", "train"))
    ap.add_argument("--out", default=os.path.join(here, "runs", "tokenizer"))
    ap.add_argument("--vocab-size", type=int, default=8192, help="including the special tokens")
    ap.add_argument("--model-max-length", type=int, default=512)
    args = ap.parse_args()

    paths = sorted(glob.glob(os.path.join(args.data, "*.txt")))
    if not paths:
        sys.exit(f"{args.data}: no .txt files")
    t0 = time.time()
    word_counts = count_words(paths)
    print(f"{len(paths)} files, {len(word_counts)} distinct pieces, "
          f"{sum(word_counts.values())} pieces, {time.time() - t0:.0f}s", flush=True)
    tokens, merges = train_merges(word_counts, args.vocab_size - len(SPECIAL_TOKENS))
    print(f"{len(tokens)} tokens, {len(merges)} merges, {time.time() - t0:.0f}s", flush=True)

    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "tokenizer.json"), tokenizer_json(tokens, merges))
    write_json(os.path.join(args.out, "tokenizer_config.json"),
               tokenizer_config_json(len(tokens), args.model_max_length))
    print(f"wrote {args.out}/tokenizer.json ({len(tokens) + len(SPECIAL_TOKENS)} ids)")


if __name__ == "__main__":
    main()
