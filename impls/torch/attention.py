"""Scaled dot-product attention written with PyTorch tensor operations (roadmap
Day 11-14), not F.scaled_dot_product_attention (the reference it would be judged
against); the softmax is this backend's own."""

import math

import torch

from ..kernel_inputs import attention_batch
from .softmax import as_tensor, softmax_tensor


def attention_tensor(q, k, v, allowed=None, causal=False):
    """Attention on tensors q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv];
    allowed: a boolean tensor broadcastable to [..., Lq, Lk] or None."""
    lq, lk, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(max(d, 1))  # [..., Lq, Lk]
    visible = torch.ones(lq, lk, dtype=torch.bool)
    if causal:
        visible = visible.tril(lk - lq)  # query i sees keys j <= i + (Lk - Lq)
    if allowed is not None:
        visible = visible & allowed
    scores = scores.masked_fill(~visible, float("-inf"))
    # a query with no visible key: softmax of all -inf is NaN; the contract says zeros
    empty = ~visible.any(dim=-1, keepdim=True)
    weights = softmax_tensor(scores.masked_fill(empty, 0.0)) * ~empty  # [..., Lq, Lk]
    return weights @ v  # [..., Lq, dv]


def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    batch, q3, k3, v3, allowed = attention_batch(q, k, v, mask)  # [B, L, d]
    out = attention_tensor(as_tensor(q3), as_tensor(k3), as_tensor(v3), None if allowed is None else as_tensor(allowed), causal)
    return out.numpy().reshape(batch + out.shape[1:])
