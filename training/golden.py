"""Writes models/NAME/golden.json: reference outputs of the exported checkpoint for the C++
engine's tests, computed by model.py in float32 from the exported BF16 weights.

Contents:
- prompt, prompt_ids: PROMPT encoded with the model's tokenizer.json (no BOS: add_bos_token
  is false, as for Qwen).
- logits: for positions 0..7 of prompt_ids, the top-20 (id, logit) pairs, and the full
  vocab_size rows of positions 0 and 7 (full_rows).
- ppl: perplexity of a fixed excerpt of WikiText-2 test: the first EXCERPT_CHARS characters of
  ../shared/data/eval/wikitext2-test.raw (the raw file as is, UTF-8), encoded with the model's
  tokenizer, first PPL_WINDOWS * PPL_CTX tokens, cut into PPL_WINDOWS independent windows of
  PPL_CTX tokens (no BOS, no overlap; GPTQ protocol): mean NLL over the PPL_CTX - 1 predicted
  tokens of every window, and its exp. The ids are stored so the C++ test needs no tokenizer.

usage: python3 training/golden.py models/NAME [--shared ../shared]
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import model as M  # noqa: E402
import safetensors_io  # noqa: E402

PROMPT = ("The quick brown fox jumps over the lazy dog. Once upon a time, in a small village "
          "by the sea, there lived an old fisherman who")
POSITIONS = 8
TOP_K = 20
FULL_ROWS = (0, 7)
EXCERPT_CHARS = 20000
PPL_CTX = 512
PPL_WINDOWS = 4


def load_model(folder):
    cfg = M.Config.load(os.path.join(folder, "config.json"))
    tensors, _ = safetensors_io.load(os.path.join(folder, "model.safetensors"))
    model = M.CausalLM(cfg)
    model.load_hf_state_dict({k: v.float() for k, v in tensors.items()})
    model.eval()
    return cfg, model


@torch.no_grad()
def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
    args = ap.parse_args()
    torch.set_num_threads(2)

    cfg, model = load_model(args.folder)
    tok = bpe.Tokenizer(os.path.join(args.folder, "tokenizer.json"))
    ids = tok.encode(PROMPT)
    logits = model(torch.tensor([ids]))[0].float()  # [T, V]
    positions = []
    for p in range(POSITIONS):
        vals, idx = torch.topk(logits[p], TOP_K)
        positions.append({"position": p, "token_id": ids[p],
                          "top_ids": idx.tolist(), "top_logits": [float(v) for v in vals]})
    full_rows = {str(p): [float(v) for v in logits[p]] for p in FULL_ROWS}

    wiki = os.path.join(args.shared, "data", "eval", "wikitext2-test.raw")
    with open(wiki, encoding="utf-8") as f:
        excerpt = f.read()[:EXCERPT_CHARS]
    ppl_ids = tok.encode(excerpt, allow_special=False)
    if len(ppl_ids) < PPL_WINDOWS * PPL_CTX:
        sys.exit(f"{wiki}: the first {EXCERPT_CHARS} characters give only {len(ppl_ids)} tokens")
    ppl_ids = ppl_ids[:PPL_WINDOWS * PPL_CTX]
    window_nll = []
    for w in range(PPL_WINDOWS):
        x = torch.tensor([ppl_ids[w * PPL_CTX:(w + 1) * PPL_CTX]])
        out = model(x)[0].float()
        window_nll.append(F.cross_entropy(out[:-1], x[0, 1:], reduction="sum").item())
    mean_nll = sum(window_nll) / (PPL_WINDOWS * (PPL_CTX - 1))

    golden = {
        "model": os.path.basename(os.path.normpath(args.folder)),
        "compute": "float32 from the BF16 weights in model.safetensors (training/model.py)",
        "prompt": PROMPT,
        "prompt_ids": ids,
        "add_bos": False,
        "logits": positions,
        "full_rows": full_rows,
        "ppl": {
            "source": "../shared/data/eval/wikitext2-test.raw",
            "text": f"first {EXCERPT_CHARS} characters of the file as is (UTF-8)",
            "tokenization": "model tokenizer.json, no BOS, special tokens not parsed",
            "window": PPL_CTX, "windows": PPL_WINDOWS,
            "protocol": "independent non-overlapping windows; mean NLL over the window-1 "
                        "predicted tokens of every window",
            "ids": ppl_ids,
            "window_nll_sum": window_nll,
            "mean_nll": mean_nll,
            "perplexity": math.exp(mean_nll),
        },
    }
    path = os.path.join(args.folder, "golden.json")
    with open(path + ".tmp", "w") as f:
        json.dump(golden, f)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}: {len(ids)} prompt tokens, excerpt ppl {math.exp(mean_nll):.3f}")


if __name__ == "__main__":
    main()
