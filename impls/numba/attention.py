"""Scaled dot-product attention as explicit Numba loops, one query row at a time.

For each query: the scores q.k_j / sqrt(d) of the keys it may see (causal
limit, padding mask), their maximum, exp(score - max) with its sum, and the
weighted sum of the value rows. Leading batch dimensions and any layout are
flattened first (impls/kernel_inputs.py). Sums are kept in float64.
"""

import math

import numpy as np
from numba import njit

from ..kernel_inputs import attention_batch

_NO_MASK = np.ones((1, 1, 1), dtype=np.bool_)


@njit(cache=True, fastmath={"reassoc", "contract"})  # lets LLVM vectorise the dot products
def _attention(q, k, v, allowed, has_mask, causal, out):
    # q [B, Lq, d], k [B, Lk, d], v [B, Lk, dv], allowed [B, Lq, Lk], out [B, Lq, dv]
    batch, lq, d = q.shape
    lk, dv = v.shape[1], v.shape[2]
    scale = 1.0 / math.sqrt(d) if d > 0 else 1.0
    scores = np.empty(lk, np.float64)
    seen = np.zeros(lk, np.bool_)
    acc = np.empty(dv, np.float64)
    for b in range(batch):
        for i in range(lq):
            # causal: query i sees keys j <= i + (Lk - Lq), so the last query sees every key
            last = min(lk - 1, i + lk - lq) if causal else lk - 1
            best = -np.inf
            for j in range(last + 1):
                seen[j] = not has_mask or allowed[b, i, j]
                if seen[j]:
                    s = 0.0
                    for t in range(d):
                        s += np.float64(q[b, i, t]) * k[b, j, t]
                    scores[j] = s * scale
                    best = max(best, scores[j])
            acc[:] = 0.0
            total = 0.0
            for j in range(last + 1):
                if seen[j]:
                    p = math.exp(scores[j] - best)  # best subtracted: cannot overflow
                    total += p
                    for t in range(dv):
                        acc[t] += p * v[b, j, t]
            # a query with no visible key gets zeros, not 0/0
            inv = 1.0 / total if total > 0.0 else 0.0
            for t in range(dv):
                out[b, i, t] = acc[t] * inv


def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    batch, q3, k3, v3, allowed = attention_batch(q, k, v, mask)
    out = np.empty(q3.shape[:2] + (v3.shape[2],), dtype=q3.dtype)  # [B, Lq, dv]
    if out.size:
        has_mask = allowed is not None
        _attention(q3, k3, v3, allowed if has_mask else _NO_MASK, has_mask, bool(causal), out)
    return out.reshape(batch + out.shape[1:])
