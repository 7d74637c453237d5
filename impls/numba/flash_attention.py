"""Flash attention as Numba loops: FlashAttention-2's order (query tiles outside, key
tiles inside), one running (max, sum, output) per query row, rescaled when a
tile raises the maximum, divided once at the end. Scratch memory is one
block x block score tile and block x dv accumulators, whatever the sequence
length. Key tiles wholly in a query tile's causal future are skipped.
Sums are kept in float64. Leading dimensions are flattened first
(impls/kernel_inputs.py)."""

import math

import numpy as np
from numba import njit

from ..kernel_inputs import attention_batch


@njit(cache=True, fastmath={"reassoc", "contract"})
def _flash(q, k, v, causal, block, out):
    # q [B, Lq, d], k [B, Lk, d], v [B, Lk, dv], out [B, Lq, dv]
    batch, lq, d = q.shape
    lk, dv = v.shape[1], v.shape[2]
    offset = lk - lq  # query i sees keys j <= i + offset when causal
    scale = 1.0 / math.sqrt(d) if d > 0 else 1.0
    scores = np.empty((block, block), np.float64)  # one tile, never Lq x Lk
    row_max = np.empty(block, np.float64)
    row_sum = np.empty(block, np.float64)
    acc = np.empty((block, dv), np.float64)
    for b in range(batch):
        for qs in range(0, lq, block):
            qe = min(qs + block, lq)
            row_max[:] = -np.inf
            row_sum[:] = 0.0
            acc[:, :] = 0.0
            key_end = min(lk, qe + offset) if causal else lk
            for ks in range(0, max(key_end, 0), block):
                ke = min(ks + block, key_end)
                for i in range(qs, qe):
                    r = i - qs
                    tile_max = -np.inf
                    for j in range(ks, ke):
                        if causal and j > i + offset:
                            scores[r, j - ks] = -np.inf
                            continue
                        s = 0.0
                        for t in range(d):
                            s += np.float64(q[b, i, t]) * k[b, j, t]
                        scores[r, j - ks] = s * scale
                        tile_max = max(tile_max, s * scale)
                    if tile_max == -np.inf:
                        continue  # nothing visible in this tile for this row
                    new_max = max(row_max[r], tile_max)
                    correction = math.exp(row_max[r] - new_max) if row_max[r] > -np.inf else 0.0
                    row_sum[r] *= correction
                    for t in range(dv):
                        acc[r, t] *= correction
                    for j in range(ks, ke):
                        if scores[r, j - ks] == -np.inf:
                            continue
                        p = math.exp(scores[r, j - ks] - new_max)
                        row_sum[r] += p
                        for t in range(dv):
                            acc[r, t] += p * v[b, j, t]
                    row_max[r] = new_max
            for i in range(qs, qe):
                r = i - qs
                inv = 1.0 / row_sum[r] if row_sum[r] > 0.0 else 0.0  # no visible key: zeros
                for t in range(dv):
                    out[b, i, t] = acc[r, t] * inv


def flash_attention(q, k, v, causal=False, block_size=64):
    if int(block_size) != block_size or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    batch, q3, k3, v3, _ = attention_batch(q, k, v)
    out = np.empty(q3.shape[:2] + (v3.shape[2],), dtype=q3.dtype)  # [B, Lq, dv]
    if out.size:
        _flash(q3, k3, v3, bool(causal), int(block_size), out)
    return out.reshape(batch + out.shape[1:])
