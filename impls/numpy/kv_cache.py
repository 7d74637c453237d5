"""The KV cache (roadmap Day 60-63) in NumPy.

One preallocated, 64-byte aligned buffer per K and V, laid out
[n_layers, n_heads, max_seq_len, head_dim]: a layer's keys for one head are
contiguous rows, so `get_k(layer)` is a view [n_heads, length, head_dim] that
attention multiplies directly, and an update is one strided copy of
n_heads x head_dim values: O(1) in the position, no reallocation, no copy
on read.
"""

from __future__ import annotations

import numpy as np

ALIGNMENT = 64  # bytes: a cache line, and enough for AVX-512 aligned loads


def aligned_empty(shape, dtype=np.float32, alignment=ALIGNMENT) -> np.ndarray:
    """An uninitialised array whose data pointer is a multiple of `alignment`."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(nbytes + alignment, dtype=np.uint8)
    start = (-raw.ctypes.data) % alignment
    return raw[start : start + nbytes].view(dtype).reshape(shape)


class KVCache:
    def __init__(self, max_seq_len, n_layers, n_heads, head_dim, dtype=np.float32):
        for name, value in (("max_seq_len", max_seq_len), ("n_layers", n_layers), ("n_heads", n_heads), ("head_dim", head_dim)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.max_seq_len, self.n_layers, self.n_heads, self.head_dim = int(max_seq_len), int(n_layers), int(n_heads), int(head_dim)
        shape = (self.n_layers, self.n_heads, self.max_seq_len, self.head_dim)
        self._k = aligned_empty(shape, dtype)  # [L, H, S, D]
        self._v = aligned_empty(shape, dtype)  # [L, H, S, D]
        self._k_len = np.zeros(self.n_layers, dtype=np.int64)  # filled positions per layer
        self._v_len = np.zeros(self.n_layers, dtype=np.int64)

    @property
    def nbytes(self) -> int:
        return self._k.nbytes + self._v.nbytes

    @property
    def length(self) -> int:
        """Positions filled in every layer (K and V)."""
        return int(min(self._k_len.min(), self._v_len.min()))

    def _write(self, buffer, lengths, layer, x, pos):
        if not 0 <= layer < self.n_layers:
            raise IndexError(f"layer {layer} out of range: the cache has {self.n_layers} layers")
        x = np.asarray(x)
        if x.shape == (self.n_heads, self.head_dim):
            x = x[None]  # one position
        if x.ndim != 3 or x.shape[1:] != (self.n_heads, self.head_dim):
            raise ValueError(f"expected [n_new, {self.n_heads}, {self.head_dim}] or [{self.n_heads}, {self.head_dim}], got {x.shape}")
        t = x.shape[0]
        if pos < 0 or pos + t > self.max_seq_len:
            raise IndexError(f"positions {pos}..{pos + t - 1} are past max_seq_len={self.max_seq_len}")
        if pos > lengths[layer]:
            raise ValueError(f"position {pos} would leave a gap: layer {layer} holds {lengths[layer]} positions")
        buffer[layer, :, pos : pos + t, :] = np.swapaxes(x, 0, 1)  # [H, t, D]
        lengths[layer] = pos + t  # writing earlier positions discards the later ones (rollback)

    def update_k(self, layer, x, pos):
        self._write(self._k, self._k_len, layer, x, pos)

    def update_v(self, layer, x, pos):
        self._write(self._v, self._v_len, layer, x, pos)

    def get_k(self, layer):
        return self._k[layer, :, : self._k_len[layer], :]  # view [H, length, D]

    def get_v(self, layer):
        return self._v[layer, :, : self._v_len[layer], :]  # view [H, length, D]

    def truncate(self, length):
        """Forget every position >= length (speculative decoding's rollback)."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot truncate to {length}: the cache holds {self.length} positions")
        self._k_len[:] = length
        self._v_len[:] = length
