"""Scaled dot-product attention written with PyTorch tensor operations (roadmap
Day 11-14), not F.scaled_dot_product_attention (the reference it would be judged
against); the softmax is this backend's own."""

import math

import torch

from ..kernel_inputs import attention_batch
from .softmax import as_tensor, softmax_tensor


def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    batch, q3, k3, v3, allowed = attention_batch(q, k, v, mask)
    q_t, k_t, v_t = as_tensor(q3), as_tensor(k3), as_tensor(v3)  # [B, L, d]
    lq, lk, d = q3.shape[1], k3.shape[1], q3.shape[2]
    scores = q_t @ k_t.transpose(-1, -2) / math.sqrt(max(d, 1))  # [B, Lq, Lk]
    visible = torch.ones(lq, lk, dtype=torch.bool)
    if causal:
        visible = visible.tril(lk - lq)  # query i sees keys j <= i + (Lk - Lq)
    if allowed is not None:
        visible = visible & as_tensor(allowed)
    scores = scores.masked_fill(~visible, float("-inf"))
    # a query with no visible key: softmax of all -inf is NaN; the contract says zeros
    empty = ~visible.any(dim=-1, keepdim=True)
    weights = softmax_tensor(scores.masked_fill(empty, 0.0)) * ~empty  # [B, Lq, Lk]
    out = weights @ v_t  # [B, Lq, dv]
    return out.numpy().reshape(batch + (lq, v3.shape[2]))
