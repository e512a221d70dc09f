"""Writes a trained model as a Hugging Face folder: model.safetensors (BF16), config.json,
generation_config.json, tokenizer.json, tokenizer_config.json and MODEL_CARD.md.

usage: python3 training/export.py --run training/runs/NAME --out models/NAME
(re-exports from the run's last checkpoint; train.py calls export() itself when done)
"""

import argparse
import datetime
import json
import os
import shutil
import string
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


def _fmt_time(seconds):
    return f"{seconds / 3600:.2f} h ({seconds:.0f} s)"


def model_card(name, cfg, params, info):
    """Fills MODEL_CARD.template.md from the config and the run's record (`info`)."""
    hf = cfg.to_hf()
    with open(os.path.join(HERE, "MODEL_CARD.template.md"), encoding="utf-8") as f:
        template = string.Template(f.read())
    fields = dict(hf)
    fields.update({
        "name": name,
        "class_name": hf["architectures"][0],
        "tied": "tied (lm_head = embed_tokens)" if cfg.tie_word_embeddings else "untied",
        "params": f"{params / 1e6:.2f} M",
        "export_time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_time": _fmt_time(info.get("elapsed_s", 0.0)),
    })
    fields.update({k: v for k, v in info.items() if k not in fields})
    return template.safe_substitute(fields)


def generation_config(cfg):
    """Sampling defaults that `lieq generate` (like HF generate) applies: models this small
    loop under greedy decoding, so they ship with mild sampling and a repetition penalty."""
    return {
        "bos_token_id": cfg.bos_token_id,
        "do_sample": True,
        "eos_token_id": cfg.eos_token_id,
        "repetition_penalty": 1.1,
        "temperature": 0.8,
        "top_k": 40,
        "top_p": 0.95,
        "transformers_version": M.TRANSFORMERS_VERSION,
    }


def export(model, cfg, tokenizer_dir, out_dir, info):
    """model: a CausalLM (any dtype); info: dict of run facts for the model card."""
    os.makedirs(out_dir, exist_ok=True)
    sd = {k: v.detach().to(torch.bfloat16) for k, v in model.hf_state_dict().items()}
    safetensors_io.save(sd, os.path.join(out_dir, "model.safetensors"), {"format": "pt"})
    _write_json(os.path.join(out_dir, "config.json"), cfg.to_hf())
    _write_json(os.path.join(out_dir, "generation_config.json"), generation_config(cfg))
    shutil.copyfile(os.path.join(tokenizer_dir, "tokenizer.json"),
                    os.path.join(out_dir, "tokenizer.json"))
    with open(os.path.join(tokenizer_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_cfg = json.load(f)
    tok_cfg["model_max_length"] = cfg.max_position_embeddings
    _write_json(os.path.join(out_dir, "tokenizer_config.json"), tok_cfg)
    name = os.path.basename(os.path.normpath(out_dir))
    card = model_card(name, cfg, M.num_params(model), info)
    with open(os.path.join(out_dir, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(card)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="training/runs/NAME (holds ckpt.pt)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    ckpt = torch.load(os.path.join(args.run, "ckpt.pt"), map_location="cpu")
    cfg = M.Config(**ckpt["config"])
    model = M.CausalLM(cfg)
    model.load_state_dict(ckpt["model"])
    export(model, cfg, ckpt["tokenizer_dir"], args.out, ckpt["info"])
    print(f"exported {args.out} (step {ckpt['step']})")


if __name__ == "__main__":
    main()
