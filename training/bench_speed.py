"""Measures training throughput (tokens/s of forward + backward + AdamW step) of candidate
model shapes in float32 and bfloat16 autocast, to size the reference models for ~1 h runs.

usage: OPENBLAS_CORETYPE=SkylakeX python3 training/bench_speed.py [--steps 3]
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402

SHAPES = {
    # name: (arch, layers, hidden, ff, heads, kv_heads, head_dim, tied)
    "qwen3-16x256": ("qwen3", 16, 256, 768, 4, 2, 64, True),
    "qwen3-16x320": ("qwen3", 16, 320, 960, 4, 2, 64, True),
    "qwen3-16x384": ("qwen3", 16, 384, 1024, 6, 2, 64, True),
    "llama-12x320": ("llama", 12, 320, 864, 5, 1, 64, False),
}


def build(shape, ctx):
    arch, n, d, ff, h, kv, hd, tied = SHAPES[shape]
    cfg = M.Config(arch=arch, vocab_size=8192, hidden_size=d, intermediate_size=ff,
                   num_hidden_layers=n, num_attention_heads=h, num_key_value_heads=kv,
                   head_dim=hd, max_position_embeddings=ctx, rope_theta=1e6, rms_norm_eps=1e-6,
                   tie_word_embeddings=tied, bos_token_id=8189, eos_token_id=8189)
    return M.CausalLM(cfg)


def bench(shape, dtype, batch, ctx, steps):
    torch.manual_seed(0)
    model = build(shape, ctx)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, 8192, (batch, ctx + 1))
    times = []
    for _ in range(steps + 1):
        t0 = time.time()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bf16"):
            logits = model(x[:, :-1])
        loss = M.loss_fn(logits, x[:, 1:])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.time() - t0)
    dt = sum(times[1:]) / steps  # the first step pays one-off allocation costs
    print(f"{shape:14s} {dtype:4s} params {M.num_params(model) / 1e6:5.1f}M  "
          f"{batch * ctx / dt:7.0f} tok/s  ({dt:.2f} s/step of {batch}x{ctx})", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for shape in args.shapes.split(","):
        for dtype in args.dtypes.split(","):
            bench(shape, dtype, args.batch, args.ctx, args.steps)


if __name__ == "__main__":
    main()
