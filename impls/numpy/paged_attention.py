"""PagedAttention in NumPy (roadmap Day 82-83): a KV cache cut into fixed-size blocks.

One pool of `num_blocks` physical blocks, each holding `block_size` positions
of K and V for every layer: [num_blocks, n_layers, n_heads, block_size, head_dim].
A sequence owns a block table, the list of its physical blocks in order;
position p lives in block table[p // block_size] at offset p % block_size.
Blocks are taken from a free list as a sequence grows and returned when it
is freed, so memory follows the tokens actually held (at most block_size - 1
positions wasted per sequence) instead of max_seq_len per sequence.

Attention walks the block table with the online softmax of flash attention.
"""

from __future__ import annotations

import numpy as np

from .flash_attention import online_softmax_finish, online_softmax_start, online_softmax_step
from .kv_cache import aligned_empty


class PagedKVCache:
    def __init__(self, num_blocks, block_size, n_layers, n_heads, head_dim, dtype=np.float32):
        for name, value in (("num_blocks", num_blocks), ("block_size", block_size), ("n_layers", n_layers), ("n_heads", n_heads), ("head_dim", head_dim)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.block_size, self.n_layers, self.n_heads, self.head_dim = int(block_size), int(n_layers), int(n_heads), int(head_dim)
        shape = (int(num_blocks), self.n_layers, self.n_heads, self.block_size, self.head_dim)
        self.k_blocks = aligned_empty(shape, dtype)  # [blocks, L, H, bs, D]
        self.v_blocks = aligned_empty(shape, dtype)
        self.free_blocks = list(range(int(num_blocks)))[::-1]  # a stack: pop() gives block 0 first
        self.tables: dict = {}  # seq_id -> [physical block, ...]
        self.lengths: dict = {}  # seq_id -> positions held, per layer [L]

    @property
    def num_free_blocks(self) -> int:
        return len(self.free_blocks)

    @property
    def nbytes(self) -> int:
        return self.k_blocks.nbytes + self.v_blocks.nbytes

    def add_sequence(self, seq_id):
        if seq_id in self.tables:
            raise ValueError(f"sequence {seq_id!r} already exists")
        self.tables[seq_id] = []
        self.lengths[seq_id] = np.zeros(self.n_layers, dtype=np.int64)

    def _sequence(self, seq_id):
        if seq_id not in self.tables:
            raise KeyError(f"unknown sequence {seq_id!r}: call add_sequence first")
        return self.tables[seq_id], self.lengths[seq_id]

    def block_table(self, seq_id) -> list[int]:
        return list(self._sequence(seq_id)[0])

    def length(self, seq_id, layer=0) -> int:
        return int(self._sequence(seq_id)[1][layer])

    def append(self, seq_id, layer, k, v):
        """Append k, v [t, n_heads, head_dim] at the next t positions of `layer`."""
        table, lengths = self._sequence(seq_id)
        if not 0 <= layer < self.n_layers:
            raise IndexError(f"layer {layer} out of range: the cache has {self.n_layers} layers")
        k, v = np.asarray(k), np.asarray(v)
        if k.shape != v.shape or k.ndim != 3 or k.shape[1:] != (self.n_heads, self.head_dim):
            raise ValueError(f"k and v must both be [t, {self.n_heads}, {self.head_dim}], got {k.shape} and {v.shape}")
        start, t = int(lengths[layer]), k.shape[0]
        needed = -(-(start + t) // self.block_size) - len(table)  # blocks to add (ceil division)
        if needed > len(self.free_blocks):
            raise MemoryError(f"out of KV blocks: sequence {seq_id!r} needs {needed} more, {len(self.free_blocks)} free")
        for _ in range(max(needed, 0)):
            table.append(self.free_blocks.pop())
        for i in range(t):  # position -> (physical block, offset) through the table
            block, offset = divmod(start + i, self.block_size)
            self.k_blocks[table[block], layer, :, offset] = k[i]
            self.v_blocks[table[block], layer, :, offset] = v[i]
        lengths[layer] = start + t

    def free(self, seq_id):
        """Return the sequence's blocks to the pool."""
        table, _ = self._sequence(seq_id)
        self.free_blocks.extend(reversed(table))
        del self.tables[seq_id], self.lengths[seq_id]

    def gather(self, seq_id, layer):
        """Contiguous copies (k, v) [n_heads, length, head_dim] of a sequence's layer (for checks)."""
        table, lengths = self._sequence(seq_id)
        n = int(lengths[layer])
        k = np.concatenate([self.k_blocks[b, layer] for b in table], axis=1)[:, :n] if table else np.zeros((self.n_heads, 0, self.head_dim), self.k_blocks.dtype)
        v = np.concatenate([self.v_blocks[b, layer] for b in table], axis=1)[:, :n] if table else np.zeros_like(k)
        return k, v

    def utilisation(self) -> float:
        """Positions held / positions in allocated blocks (1.0 = no waste)."""
        held = sum(int(l.max()) for l in self.lengths.values())
        allocated = sum(len(t) for t in self.tables.values()) * self.block_size
        return held / allocated if allocated else 1.0


def paged_attention(q, cache: PagedKVCache, seq_id, layer, causal=True):
    """Attention of q [n_heads, Tq, head_dim] (the sequence's last Tq positions) over
    the sequence's keys and values in `layer`, read block by block through the
    block table. Returns [n_heads, Tq, head_dim]."""
    table, lengths = cache._sequence(seq_id)
    n = int(lengths[layer])
    if q.ndim != 3 or q.shape[0] != cache.n_heads or q.shape[2] != cache.head_dim:
        raise ValueError(f"q must be [{cache.n_heads}, Tq, {cache.head_dim}], got {q.shape}")
    tq = q.shape[1]
    if tq > n:
        raise ValueError(f"{tq} queries but the sequence holds only {n} positions")
    q = q * q.dtype.type(1.0 / np.sqrt(cache.head_dim))
    m, l, acc = online_softmax_start(q.shape[:-1], cache.head_dim, q.dtype)
    query_pos = np.arange(n - tq, n)[:, None]  # [Tq, 1]: the queries are the last positions
    for i, block in enumerate(table):
        start = i * cache.block_size
        stop = min(start + cache.block_size, n)
        if stop <= start:
            break
        k = cache.k_blocks[block, layer, :, : stop - start]  # [H, bs', D]: a view into the pool
        v = cache.v_blocks[block, layer, :, : stop - start]
        scores = q @ np.swapaxes(k, -1, -2)  # [H, Tq, bs']
        if causal:
            scores = np.where(np.arange(start, stop)[None, :] <= query_pos, scores, -np.inf)
        m, l, acc = online_softmax_step(m, l, acc, scores, v)
    return online_softmax_finish(l, acc).astype(q.dtype)
