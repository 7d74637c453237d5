"""GPT-2 in NumPy (roadmap Day 12-14, nanoGPT style): a config, the weights,
a pre-LayerNorm transformer block, the whole forward pass, and greedy generation.

Weights keep Hugging Face's names and layouts so that a GPT2LMHeadModel state
dict (or a GPT-2 safetensors checkpoint directory) loads as is. HF's GPT-2
uses `Conv1D` layers whose weight is [in, out], so a projection is `x @ W + b`.
The language-model head is tied to the token embedding: logits = h @ wte^T.

This is the simple path: `greedy_generate` recomputes the whole sequence for
every new token. The inference engine (impls/numpy/engine.py) reuses these
pieces with a KV cache.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from .attention import scaled_dot_product_attention
from .gelu import gelu
from .norms import layer_norm


@dataclass
class GPTConfig:
    vocab_size: int = 50257  # GPT-2's byte-level BPE vocabulary
    n_ctx: int = 1024  # longest sequence (HF calls it n_positions)
    n_layer: int = 12  # transformer blocks
    n_head: int = 12  # attention heads per block
    n_embd: int = 768  # width of the residual stream
    layer_norm_epsilon: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @classmethod
    def from_any(cls, config) -> "GPTConfig":
        """From a GPTConfig, a dict, or an HF GPT2Config (HF names accepted)."""
        if isinstance(config, cls):
            return config
        if hasattr(config, "to_dict"):
            config = config.to_dict()
        if not isinstance(config, dict):
            raise TypeError(f"a GPT-2 config must be a dict, a GPTConfig or a GPT2Config, not {type(config).__name__}")
        values = dict(config)
        if "n_positions" in values:
            values.setdefault("n_ctx", values["n_positions"])
        known = {f.name for f in fields(cls)}
        made = cls(**{k: v for k, v in values.items() if k in known})
        if made.n_embd % made.n_head:
            raise ValueError(f"n_embd={made.n_embd} is not divisible by n_head={made.n_head}")
        return made

    def to_hf_dict(self) -> dict:
        """The fields as an HF GPT2Config would name them (for config.json)."""
        return {
            "model_type": "gpt2",
            "vocab_size": self.vocab_size,
            "n_positions": self.n_ctx,
            "n_ctx": self.n_ctx,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_embd": self.n_embd,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "activation_function": "gelu_new",
        }


BLOCK_KEYS = (
    "ln_1.weight", "ln_1.bias",
    "attn.c_attn.weight", "attn.c_attn.bias",  # [C, 3C], [3C]: q, k, v side by side
    "attn.c_proj.weight", "attn.c_proj.bias",  # [C, C], [C]
    "ln_2.weight", "ln_2.bias",
    "mlp.c_fc.weight", "mlp.c_fc.bias",  # [C, 4C], [4C]
    "mlp.c_proj.weight", "mlp.c_proj.bias",  # [4C, C], [C]
)  # fmt: skip


@dataclass
class GPT2Params:
    config: GPTConfig
    wte: np.ndarray  # [vocab, C] token embedding, also the (tied) output head
    wpe: np.ndarray  # [n_ctx, C] learned position embedding
    blocks: list[dict] = field(repr=False)  # per block: BLOCK_KEYS -> array
    ln_f_weight: np.ndarray = field(repr=False)  # [C]
    ln_f_bias: np.ndarray = field(repr=False)  # [C]
    lm_head: np.ndarray = field(repr=False)  # [vocab, C]; wte itself when tied

    @property
    def dtype(self):
        return self.wte.dtype


# --------------------------------------------------------------------------- loading


def gpt2_from_state_dict(config, state_dict, dtype=np.float32) -> GPT2Params:
    cfg = GPTConfig.from_any(config)
    # HF GPT2LMHeadModel prefixes the body with "transformer."; the hub checkpoints do not.
    sd = {k.removeprefix("transformer."): v for k, v in state_dict.items()}

    def get(name, shape):
        if name not in sd:
            raise KeyError(f"the GPT-2 state dict has no {name!r}")
        value = sd[name]
        if type(value).__module__.startswith("torch"):
            value = value.detach().cpu().numpy()
        value = np.ascontiguousarray(value, dtype=dtype)
        if value.shape != shape:
            raise ValueError(f"{name} has shape {value.shape}, the config says {shape}")
        return value

    C, V = cfg.n_embd, cfg.vocab_size
    shapes = {
        "ln_1.weight": (C,), "ln_1.bias": (C,), "ln_2.weight": (C,), "ln_2.bias": (C,),
        "attn.c_attn.weight": (C, 3 * C), "attn.c_attn.bias": (3 * C,),
        "attn.c_proj.weight": (C, C), "attn.c_proj.bias": (C,),
        "mlp.c_fc.weight": (C, 4 * C), "mlp.c_fc.bias": (4 * C,),
        "mlp.c_proj.weight": (4 * C, C), "mlp.c_proj.bias": (C,),
    }  # fmt: skip
    blocks = [{key: get(f"h.{i}.{key}", shapes[key]) for key in BLOCK_KEYS} for i in range(cfg.n_layer)]
    wte = get("wte.weight", (V, C))
    # GPT-2 ties the output head to the token embedding; checkpoints often omit lm_head.
    lm_head = get("lm_head.weight", (V, C)) if "lm_head.weight" in sd else wte
    return GPT2Params(cfg, wte, get("wpe.weight", (cfg.n_ctx, C)), blocks, get("ln_f.weight", (C,)), get("ln_f.bias", (C,)), lm_head)


def load_gpt2(model_dir, dtype=np.float32) -> GPT2Params:
    model_dir = Path(model_dir)
    config_file = model_dir / "config.json"
    if not config_file.exists():
        raise FileNotFoundError(f"{model_dir} holds no config.json: not an HF GPT-2 checkpoint directory")
    weight_files = sorted(model_dir.glob("*.safetensors"))
    if not weight_files:
        raise FileNotFoundError(f"{model_dir} holds no *.safetensors weights")
    from safetensors.numpy import load_file

    state_dict = {}
    for f in weight_files:
        state_dict.update(load_file(str(f)))
    return gpt2_from_state_dict(json.loads(config_file.read_text()), state_dict, dtype)


def random_state_dict(config, seed: int = 0, init_std: float = 0.02) -> dict[str, np.ndarray]:
    """Seeded weights in GPT-2's initialisation (normal(0, init_std), residual projections
    scaled by 1/sqrt(2 n_layer), LayerNorms at identity); HF key names. GPT-2 uses
    init_std=0.02; random models that small repeat one token forever under greedy
    decoding, so the engine's seeded models use a larger one."""
    cfg = GPTConfig.from_any(config)
    rng = np.random.default_rng(seed)
    C = cfg.n_embd

    def normal(*shape, std=init_std):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    residual_std = init_std / np.sqrt(2 * cfg.n_layer)
    sd = {"wte.weight": normal(cfg.vocab_size, C), "wpe.weight": normal(cfg.n_ctx, C, std=init_std / 2)}
    for i in range(cfg.n_layer):
        p = f"h.{i}."
        sd |= {
            p + "ln_1.weight": np.ones(C, np.float32), p + "ln_1.bias": np.zeros(C, np.float32),
            p + "attn.c_attn.weight": normal(C, 3 * C), p + "attn.c_attn.bias": normal(3 * C, std=0.01),
            p + "attn.c_proj.weight": normal(C, C, std=residual_std), p + "attn.c_proj.bias": np.zeros(C, np.float32),
            p + "ln_2.weight": np.ones(C, np.float32), p + "ln_2.bias": np.zeros(C, np.float32),
            p + "mlp.c_fc.weight": normal(C, 4 * C), p + "mlp.c_fc.bias": normal(4 * C, std=0.01),
            p + "mlp.c_proj.weight": normal(4 * C, C, std=residual_std), p + "mlp.c_proj.bias": np.zeros(C, np.float32),
        }  # fmt: skip
    sd |= {"ln_f.weight": np.ones(C, np.float32), "ln_f.bias": np.zeros(C, np.float32)}
    return sd


# --------------------------------------------------------------------------- the pieces


def gelu_new(x):
    """GPT-2's GELU: the tanh approximation (HF 'gelu_new'), not the exact erf form."""
    return gelu(x, approximate="tanh")


def split_heads(x, n_head):
    """[..., T, C] -> [..., n_head, T, head_dim]"""
    *lead, T, C = x.shape
    return np.swapaxes(x.reshape(*lead, T, n_head, C // n_head), -2, -3)


def merge_heads(x):
    """[..., n_head, T, head_dim] -> [..., T, C]"""
    x = np.swapaxes(x, -2, -3)  # [..., T, n_head, head_dim]
    return x.reshape(*x.shape[:-2], x.shape[-2] * x.shape[-1])


def mlp(x, block):
    h = gelu_new(x @ block["mlp.c_fc.weight"] + block["mlp.c_fc.bias"])  # [..., T, 4C]
    return h @ block["mlp.c_proj.weight"] + block["mlp.c_proj.bias"]  # [..., T, C]


def transformer_block(x, block, n_head, eps=1e-5):
    if x.ndim < 2 or x.shape[-1] != block["ln_1.weight"].shape[0]:
        raise ValueError(f"x has shape {x.shape}; the block expects [..., T, {block['ln_1.weight'].shape[0]}]")
    # Pre-LayerNorm (GPT-2): normalise the branch input, add the branch to the residual.
    h = layer_norm(x, block["ln_1.weight"], block["ln_1.bias"], eps)
    qkv = h @ block["attn.c_attn.weight"] + block["attn.c_attn.bias"]  # [..., T, 3C]
    q, k, v = (split_heads(t, n_head) for t in np.split(qkv, 3, axis=-1))  # each [..., H, T, D]
    y = merge_heads(scaled_dot_product_attention(q, k, v, causal=True))  # [..., T, C]
    x = x + (y @ block["attn.c_proj.weight"] + block["attn.c_proj.bias"])
    x = x + mlp(layer_norm(x, block["ln_2.weight"], block["ln_2.bias"], eps), block)
    return x.astype(block["ln_1.weight"].dtype, copy=False)


def check_ids(params: GPT2Params, input_ids, what="input_ids") -> np.ndarray:
    ids = np.asarray(input_ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{what} must be integers, got {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= params.config.vocab_size):
        raise ValueError(f"{what} must lie in [0, {params.config.vocab_size}); got {ids.min()}..{ids.max()}")
    return ids


def gpt2_forward(params: GPT2Params, input_ids):
    ids = check_ids(params, input_ids)
    if ids.ndim != 2 or ids.shape[1] == 0:
        raise ValueError(f"input_ids must be [B, T] with T >= 1, got shape {ids.shape}")
    cfg = params.config
    B, T = ids.shape
    if T > cfg.n_ctx:
        raise ValueError(f"sequence of {T} tokens exceeds the context of {cfg.n_ctx}")
    x = params.wte[ids] + params.wpe[:T]  # [B, T, C]
    for block in params.blocks:
        x = transformer_block(x, block, cfg.n_head, cfg.layer_norm_epsilon)  # [B, T, C]
    x = layer_norm(x, params.ln_f_weight, params.ln_f_bias, cfg.layer_norm_epsilon)
    return x @ params.lm_head.T  # [B, T, vocab]


def greedy_generate(params: GPT2Params, prompt_ids, max_new_tokens):
    ids = check_ids(params, prompt_ids, "prompt_ids")
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError(f"prompt_ids must be a non-empty 1-D sequence, got shape {ids.shape}")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    if ids.size + max_new_tokens > params.config.n_ctx:
        raise ValueError(f"{ids.size} prompt + {max_new_tokens} new tokens exceed the context of {params.config.n_ctx}")
    tokens = [int(t) for t in ids]
    for _ in range(max_new_tokens):
        logits = gpt2_forward(params, np.array([tokens]))  # [1, T, vocab]
        tokens.append(int(np.argmax(logits[0, -1])))  # the last position predicts the next token
    return np.array(tokens[ids.size :], dtype=np.int64)
