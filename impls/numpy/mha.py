"""Multi-head self-attention in NumPy: project, split into heads, attend, merge, project."""

import numpy as np

from .attention import scaled_dot_product_attention
from .gpt2 import merge_heads, split_heads


def check_mha_shapes(x, weights, biases, n_heads):
    """The contract's ValueErrors: D divisible by n_heads, weights [D, D], biases [D]."""
    d_model = x.shape[-1]
    if x.ndim < 2:
        raise ValueError(f"x has shape {x.shape}; multi-head attention needs [..., L, D]")
    if n_heads < 1 or d_model % n_heads:
        raise ValueError(f"model width D={d_model} is not divisible by n_heads={n_heads}")
    for name, w in weights.items():
        if np.shape(w) != (d_model, d_model):
            raise ValueError(f"{name} has shape {np.shape(w)}; expected [D, D] = {(d_model, d_model)}")
    for name, b in biases.items():
        if b is not None and np.shape(b) != (d_model,):
            raise ValueError(f"{name} has shape {np.shape(b)}; expected [D] = {(d_model,)}")


def linear(x, w, b):
    """x @ w (+ b): [..., L, D] -> [..., L, D]"""
    return x @ w if b is None else x @ w + b


def per_head(mask):
    """A mask broadcastable to [..., L, L] as [..., 1, L, L]: the same for every head."""
    mask = np.asarray(mask, dtype=bool)
    return mask.reshape((1,) * max(0, 2 - mask.ndim) + mask.shape)[..., None, :, :]


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, b_q=None, b_k=None, b_v=None, b_o=None, mask=None, causal=False):
    x = np.asarray(x)
    check_mha_shapes(x, {"w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": w_o}, {"b_q": b_q, "b_k": b_k, "b_v": b_v, "b_o": b_o}, n_heads)
    q = split_heads(linear(x, w_q, b_q), n_heads)  # [..., H, L, Dh]
    k = split_heads(linear(x, w_k, b_k), n_heads)  # [..., H, L, Dh]
    v = split_heads(linear(x, w_v, b_v), n_heads)  # [..., H, L, Dh]
    head_mask = None if mask is None else per_head(mask)  # [..., 1, L, L]
    heads = scaled_dot_product_attention(q, k, v, mask=head_mask, causal=causal)  # [..., H, L, Dh]
    return linear(merge_heads(heads), w_o, b_o).astype(x.dtype)  # [..., L, D]
