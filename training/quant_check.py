"""Quick Python-side quantization sensitivity check of a trained model (no lieq needed).

Fake-quantizes every block linear weight (q, k, v, o, gate, up, down) with asymmetric min-max
round-to-nearest, groups of --group along the input dimension (what `lieq quantize --backend rtn`
does, up to its scale/zero rounding), and reports held-out loss and the perplexity ratio
exp(loss_q - loss_fp) at each width; with --skip-blocks also the loss increase when one block is
skipped (the residual passes through it unchanged). Embedding and norms stay in float.

It is a screening tool for recipes (pilot runs); the numbers in model cards come from `lieq`.

usage: python3 training/quant_check.py MODEL_DIR_OR_CKPT --data-cache training/runs/data-s
         [--bits 2,4] [--group 64] [--windows 64] [--skip-blocks]
"""

import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import model as M  # noqa: E402

LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def load_model(path):
    """An exported folder (config.json + model.safetensors) or a train.py checkpoint."""
    if os.path.isdir(path):
        import safetensors_io
        cfg = M.Config.load(os.path.join(path, "config.json"))
        model = M.CausalLM(cfg)
        weights, _ = safetensors_io.load(os.path.join(path, "model.safetensors"))
        model.load_hf_state_dict({k: v.float() for k, v in weights.items()})
    else:
        ckpt = torch.load(path, map_location="cpu")
        cfg = M.Config(**ckpt["config"])
        model = M.CausalLM(cfg)
        model.load_state_dict(ckpt["model"])
    return model.eval()


def fake_quant_rtn(w, bits, group):
    """Asymmetric min-max RTN per group of `group` consecutive input columns of w [out, in]."""
    out, inp = w.shape
    g = w.reshape(out, inp // group, group)
    lo = g.amin(-1, keepdim=True)
    hi = g.amax(-1, keepdim=True)
    qmax = 2 ** bits - 1
    scale = ((hi - lo) / qmax).clamp_min(1e-12)
    q = torch.clamp(torch.round((g - lo) / scale), 0, qmax)
    return (q * scale + lo).reshape(out, inp)


@torch.no_grad()
def val_loss(model, val_tokens, windows, ctx=512, batch=8):
    total, count = 0.0, 0
    for x in data.val_batches(val_tokens, batch, ctx, windows):
        logits = model(x[:, :-1])
        total += M.loss_fn(logits, x[:, 1:]).item() * x[:, 1:].numel()
        count += x[:, 1:].numel()
    return total / count


def block_linears(model):
    for i, layer in enumerate(model.model.layers):
        for name, mod in list(layer.self_attn.named_children()) + list(layer.mlp.named_children()):
            if name in LINEARS:
                yield i, name, mod


@torch.no_grad()
def check(model, val_tokens, bits_list=(2, 4), group=64, windows=64, skip_blocks=False):
    """Returns a dict: fp loss, per-width loss and ratio, and per-block skip delta loss."""
    res = {"fp_loss": val_loss(model, val_tokens, windows)}
    originals = {(i, n): m.weight.data.clone() for i, n, m in block_linears(model)}
    for bits in bits_list:
        for i, n, m in block_linears(model):
            m.weight.data = fake_quant_rtn(originals[(i, n)], bits, group)
        loss = val_loss(model, val_tokens, windows)
        res[f"rtn{bits}_loss"] = loss
        res[f"rtn{bits}_ppl_ratio"] = math.exp(loss - res["fp_loss"])
        for i, n, m in block_linears(model):
            m.weight.data = originals[(i, n)]
    if skip_blocks:
        deltas = []
        layers = model.model.layers
        for i in range(len(layers)):
            keep = layers[i]
            layers[i] = _Identity()
            deltas.append(val_loss(model, val_tokens, windows) - res["fp_loss"])
            layers[i] = keep
        res["skip_delta_loss"] = deltas
        pos = [d for d in deltas if d > 0]
        res["skip_max_min_ratio"] = max(deltas) / min(pos) if pos else float("nan")
    return res


class _Identity(torch.nn.Module):
    def forward(self, x, cos, sin, mask):
        return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", help="exported model folder or training/runs/NAME/ckpt.pt")
    ap.add_argument("--data-cache", required=True, help="folder holding val.bin")
    ap.add_argument("--bits", default="2,4")
    ap.add_argument("--group", type=int, default=64)
    ap.add_argument("--windows", type=int, default=64)
    ap.add_argument("--skip-blocks", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    val_tokens = data.load_tokens(args.data_cache, "val")
    res = check(model, val_tokens, [int(b) for b in args.bits.split(",")], args.group,
                args.windows, args.skip_blocks)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
