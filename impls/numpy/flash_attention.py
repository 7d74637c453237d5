"""Flash attention in NumPy (roadmap Day 81, stage 4: FlashAttention-2 tiling).

Exact attention that never holds the n x n score matrix: keys and values are
visited in tiles, and each query row keeps a running maximum m, a running sum
l of exp(score - m), and an unnormalised output acc. When a new tile raises
the maximum, the old sum and output are rescaled by exp(m_old - m_new) (the
"online softmax"); the output is divided by l once, at the end.

FlashAttention-2's loop order: the outer loop runs over query tiles (each
independent, so they could run in parallel), the inner loop over key tiles;
with a causal mask the key tiles wholly in a query tile's future are skipped,
and the mask is only applied on the tiles that straddle the diagonal.

The online-softmax step is shared with paged attention (the same loop over
KV blocks found through a block table).
"""

from __future__ import annotations

import numpy as np


def check_qkv(q, k, v):
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q has head dimension {q.shape[-1]} but k has {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k has {k.shape[-2]} keys but v has {v.shape[-2]} values")
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2]:
        raise ValueError(f"leading dimensions differ: q {q.shape}, k {k.shape}, v {v.shape}")


def online_softmax_start(rows_shape, dv, dtype):
    """(m, l, acc): running max [...], running sum [...], unnormalised output [..., dv]."""
    return np.full(rows_shape, -np.inf, dtype), np.zeros(rows_shape, dtype), np.zeros(rows_shape + (dv,), dtype)


def online_softmax_step(m, l, acc, scores, v_tile):
    """Fold one tile of scores [..., rows, cols] (-inf where masked) and its values
    [..., cols, dv] into the running state; returns the new (m, l, acc)."""
    m_new = np.maximum(m, scores.max(axis=-1))  # [..., rows]
    safe = np.where(np.isneginf(m_new), 0.0, m_new)  # rows with nothing allowed yet stay at zero
    p = np.exp(scores - safe[..., None])  # [..., rows, cols]; masked entries give exp(-inf) = 0
    correction = np.exp(np.where(np.isneginf(m), -np.inf, m - safe))  # rescale what was summed before
    l = l * correction + p.sum(axis=-1)
    acc = acc * correction[..., None] + p @ v_tile  # [..., rows, dv]
    return m_new, l, acc


def online_softmax_finish(l, acc):
    """acc / l, with rows that saw no allowed key defined as zeros."""
    return np.where(l[..., None] > 0, acc / np.where(l > 0, l, 1.0)[..., None], 0.0)


def causal_tile_mask(qs, qe, ks, ke, offset):
    """[qe-qs, ke-ks] bool: query i may see key j when j <= i + offset (offset = Lk - Lq)."""
    return np.arange(ks, ke)[None, :] <= np.arange(qs, qe)[:, None] + offset


def flash_attention(q, k, v, causal=False, block_size=64):
    check_qkv(q, k, v)
    if int(block_size) != block_size or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    lq, lk, d, dv = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    offset = lk - lq  # query i may see keys j <= i + offset (the contract's causal alignment)
    out = np.empty(q.shape[:-1] + (dv,), dtype=q.dtype)  # [..., Lq, dv]
    scale = q.dtype.type(1.0 / np.sqrt(d))
    for qs in range(0, lq, block_size):  # outer: query tiles
        qe = min(qs + block_size, lq)
        q_tile = q[..., qs:qe, :] * scale  # [..., bq, d]
        m, l, acc = online_softmax_start(q_tile.shape[:-1], dv, q.dtype)
        key_end = min(lk, qe + offset) if causal else lk  # later keys are in every row's future
        for ks in range(0, max(key_end, 0), block_size):  # inner: key tiles
            ke = min(ks + block_size, key_end)
            scores = q_tile @ np.swapaxes(k[..., ks:ke, :], -1, -2)  # [..., bq, bk]: one tile, never n x n
            if causal and ke - 1 > qs + offset:  # the tile straddles the diagonal
                scores = np.where(causal_tile_mask(qs, qe, ks, ke, offset), scores, -np.inf)
            m, l, acc = online_softmax_step(m, l, acc, scores, v[..., ks:ke, :])
        out[..., qs:qe, :] = online_softmax_finish(l, acc)
    return out
