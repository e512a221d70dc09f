"""Qwen3ForCausalLM and LlamaForCausalLM in plain PyTorch, following Hugging Face's
modeling_qwen3.py / modeling_llama.py (transformers 4.51) operation by operation, with the same
state-dict key names, so the exported weights are real checkpoints of those classes.

Differences from HF are only what inference/training here does not need: no KV cache, no
attention dropout (0.0 in both configs), no sliding window (disabled in Qwen3 configs).
"""

import dataclasses
import json
import math

import torch
import torch.nn.functional as F
from torch import nn

TRANSFORMERS_VERSION = "4.51.0"  # the transformers release whose definitions this mirrors


@dataclasses.dataclass
class Config:
    arch: str  # "qwen3" or "llama"
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    max_position_embeddings: int
    rope_theta: float
    rms_norm_eps: float
    tie_word_embeddings: bool
    bos_token_id: int
    eos_token_id: int
    initializer_range: float = 0.02

    def to_hf(self):
        """config.json as transformers' save_pretrained writes it for this class (sorted keys)."""
        common = {
            "attention_bias": False,
            "attention_dropout": 0.0,
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_id,
            "head_dim": self.head_dim,
            "hidden_act": "silu",
            "hidden_size": self.hidden_size,
            "initializer_range": self.initializer_range,
            "intermediate_size": self.intermediate_size,
            "max_position_embeddings": self.max_position_embeddings,
            "num_attention_heads": self.num_attention_heads,
            "num_hidden_layers": self.num_hidden_layers,
            "num_key_value_heads": self.num_key_value_heads,
            "rms_norm_eps": self.rms_norm_eps,
            "rope_scaling": None,
            "rope_theta": self.rope_theta,
            "tie_word_embeddings": self.tie_word_embeddings,
            "torch_dtype": "bfloat16",
            "transformers_version": TRANSFORMERS_VERSION,
            "use_cache": True,
            "vocab_size": self.vocab_size,
        }
        if self.arch == "qwen3":
            common.update({
                "architectures": ["Qwen3ForCausalLM"],
                "model_type": "qwen3",
                "max_window_layers": self.num_hidden_layers,
                "sliding_window": None,
                "use_sliding_window": False,
            })
        elif self.arch == "llama":
            common.update({
                "architectures": ["LlamaForCausalLM"],
                "model_type": "llama",
                "mlp_bias": False,
                "pretraining_tp": 1,
            })
        else:
            raise ValueError(f"unknown arch {self.arch!r}")
        return dict(sorted(common.items()))

    @staticmethod
    def from_hf(j):
        arch = {"Qwen3ForCausalLM": "qwen3", "LlamaForCausalLM": "llama"}[j["architectures"][0]]
        eos = j["eos_token_id"]
        return Config(
            arch=arch, vocab_size=j["vocab_size"], hidden_size=j["hidden_size"],
            intermediate_size=j["intermediate_size"], num_hidden_layers=j["num_hidden_layers"],
            num_attention_heads=j["num_attention_heads"],
            num_key_value_heads=j["num_key_value_heads"],
            head_dim=j.get("head_dim", j["hidden_size"] // j["num_attention_heads"]),
            max_position_embeddings=j["max_position_embeddings"], rope_theta=j["rope_theta"],
            rms_norm_eps=j["rms_norm_eps"], tie_word_embeddings=j["tie_word_embeddings"],
            bos_token_id=j["bos_token_id"], eos_token_id=eos[0] if isinstance(eos, list) else eos,
            initializer_range=j.get("initializer_range", 0.02))

    @staticmethod
    def load(path):
        with open(path, encoding="utf-8") as f:
            return Config.from_hf(json.load(f))


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))  # [dim]
        self.variance_epsilon = eps

    def forward(self, x):
        # As HF: normalise in float32, cast back to the input dtype, then scale.
        input_dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * x.to(input_dtype)


class RotaryEmbedding(nn.Module):
    """Default (unscaled) RoPE: inv_freq = 1 / theta^(arange(0, hd, 2) / hd)."""

    def __init__(self, head_dim, theta):
        super().__init__()
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() /
                                    head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)  # [hd/2]

    def forward(self, x, position_ids):
        # position_ids [B, T] -> cos, sin [B, T, hd], computed in float32 like HF.
        inv = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        pos = position_ids[:, None, :].float()
        freqs = (inv @ pos).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    cos = cos.unsqueeze(1)  # [B, 1, T, hd]: broadcast over heads
    sin = sin.unsqueeze(1)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def repeat_kv(x, n_rep):
    """[B, kvH, T, hd] -> [B, kvH * n_rep, T, hd]: each kv head serves n_rep query heads."""
    if n_rep == 1:
        return x
    b, h, t, d = x.shape
    return x[:, :, None, :, :].expand(b, h, n_rep, t, d).reshape(b, h * n_rep, t, d)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        d, heads, kv_heads = cfg.hidden_size, cfg.num_attention_heads, cfg.num_key_value_heads
        self.q_proj = nn.Linear(d, heads * hd, bias=False)  # [H*hd, d]
        self.k_proj = nn.Linear(d, kv_heads * hd, bias=False)  # [kvH*hd, d]
        self.v_proj = nn.Linear(d, kv_heads * hd, bias=False)  # [kvH*hd, d]
        self.o_proj = nn.Linear(heads * hd, d, bias=False)  # [d, H*hd]
        if cfg.arch == "qwen3":
            self.q_norm = RMSNorm(hd, cfg.rms_norm_eps)  # weight [hd], shared by all q heads
            self.k_norm = RMSNorm(hd, cfg.rms_norm_eps)  # weight [hd], shared by all k heads
        self.scaling = hd ** -0.5

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        hd = self.cfg.head_dim
        q = self.q_proj(x).view(b, t, -1, hd)
        k = self.k_proj(x).view(b, t, -1, hd)
        v = self.v_proj(x).view(b, t, -1, hd).transpose(1, 2)
        if self.cfg.arch == "qwen3":
            # Qwen3: per-head RMSNorm over head_dim, before RoPE.
            q = self.q_norm(q)
            k = self.k_norm(k)
        q = q.transpose(1, 2)
        k = k.transpose(1, 2)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        n_rep = self.cfg.num_attention_heads // self.cfg.num_key_value_heads
        k = repeat_kv(k, n_rep)
        v = repeat_kv(v, n_rep)
        scores = torch.matmul(q, k.transpose(2, 3)) * self.scaling + mask
        # Softmax in float32, result cast back to the query dtype (HF eager attention).
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)  # [ff, d]
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)  # [ff, d]
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)  # [d, ff]

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)  # weight [d]
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)  # weight [d]

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Backbone(nn.Module):
    """HF's Qwen3Model / LlamaModel: the `model.` prefix of every key."""

    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)  # [V, d]
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)  # weight [d]
        self.rotary_emb = RotaryEmbedding(cfg.head_dim, cfg.rope_theta)


class CausalLM(nn.Module):
    """Qwen3ForCausalLM or LlamaForCausalLM, by cfg.arch."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Backbone(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)  # [V, d]
        self.apply(self._init_weights)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def _init_weights(self, module):
        # HF PreTrainedModel._init_weights: N(0, initializer_range) for linears and embeddings.
        std = self.cfg.initializer_range
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=std)

    def forward(self, input_ids, position_ids=None):
        """input_ids [B, T] -> logits [B, T, V] (float32 for a float32 model)."""
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t, device=input_ids.device)[None, :].expand(b, t)
        x = self.model.embed_tokens(input_ids)
        cos, sin = self.model.rotary_emb(x, position_ids)
        # Additive causal mask [1, 1, T, T]: -inf-like above the diagonal (HF uses dtype min).
        mask = torch.full((t, t), torch.finfo(torch.float32).min, device=input_ids.device)
        mask = torch.triu(mask, diagonal=1)[None, None]
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        x = self.model.norm(x)
        return self.lm_head(x)

    def hf_state_dict(self):
        """State dict with HF's key names; tied models omit lm_head.weight, as HF saves them."""
        sd = {k: v for k, v in self.state_dict().items() if not k.endswith("rotary_emb.inv_freq")}
        if self.cfg.tie_word_embeddings:
            sd.pop("lm_head.weight", None)
        return sd

    def load_hf_state_dict(self, sd):
        sd = dict(sd)
        if self.cfg.tie_word_embeddings:
            sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
        missing, unexpected = self.load_state_dict(sd, strict=False)
        if missing or unexpected:
            raise ValueError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")


def num_params(model):
    """Distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def loss_fn(logits, targets):
    """Mean next-token cross-entropy in float32."""
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))


def perplexity(mean_nll):
    return math.exp(mean_nll)
