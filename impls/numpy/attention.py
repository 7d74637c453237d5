"""Scaled dot-product attention in NumPy: the simple path, one line per step."""

import numpy as np

from .softmax import softmax


def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q has head dimension {q.shape[-1]} but k has {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k has {k.shape[-2]} keys but v has {v.shape[-2]} values")
    lq, lk, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = (q @ np.swapaxes(k, -1, -2)) / np.sqrt(d).astype(q.dtype)  # [..., Lq, Lk]
    allowed = np.ones((lq, lk), dtype=bool)
    if causal:
        allowed = np.tril(allowed, k=lk - lq)  # query i sees keys j <= i + (Lk - Lq)
    if mask is not None:
        allowed = allowed & np.asarray(mask, dtype=bool)
    scores = np.where(allowed, scores, -np.inf)
    # Rows with no allowed key: softmax of all -inf is NaN; define them as zeros.
    empty = ~np.any(allowed, axis=-1, keepdims=True)
    scores = np.where(empty, 0.0, scores)
    weights = softmax(scores, axis=-1) * ~empty  # [..., Lq, Lk]
    return (weights @ v).astype(q.dtype)  # [..., Lq, dv]
