"""Common KV cache mistakes (each must fail the suite)."""

import numpy as np

from impls.numpy.kv_cache import KVCache as _Reference

from .contract import kv_cache_skill


@kv_cache_skill.mistake("KVCache", "a cache that writes position pos at index pos+1")
class KVCacheWritesAtPosPlusOne(_Reference):
    def _write(self, buffer, lengths, layer, x, pos):
        super()._write(buffer, lengths, layer, x, pos + 1)


@kv_cache_skill.mistake("KVCache", "a cache that grows by concatenation, reallocating on every update")
class KVCacheReallocating:
    def __init__(self, max_seq_len, n_layers, n_heads, head_dim, dtype=np.float32):
        if min(max_seq_len, n_layers, n_heads, head_dim) < 1:
            raise ValueError("sizes must be positive")
        self.max_seq_len, self.n_heads, self.head_dim = max_seq_len, n_heads, head_dim
        self.k = [np.zeros((n_heads, 0, head_dim), dtype) for _ in range(n_layers)]
        self.v = [np.zeros((n_heads, 0, head_dim), dtype) for _ in range(n_layers)]
        self.nbytes = 2 * n_layers * n_heads * max_seq_len * head_dim * np.dtype(dtype).itemsize

    def _write(self, store, layer, x, pos):
        if not 0 <= layer < len(store):
            raise IndexError(f"no layer {layer}")
        x = np.asarray(x)
        x = x[None] if x.ndim == 2 else x
        if x.shape[1:] != (self.n_heads, self.head_dim):
            raise ValueError(f"bad shape {x.shape}")
        if pos + x.shape[0] > self.max_seq_len:
            raise IndexError("past max_seq_len")
        if pos > store[layer].shape[1]:
            raise ValueError("gap")
        store[layer] = np.concatenate([store[layer][:, :pos], np.swapaxes(x, 0, 1)], axis=1)

    def update_k(self, layer, x, pos):
        self._write(self.k, layer, x, pos)

    def update_v(self, layer, x, pos):
        self._write(self.v, layer, x, pos)

    def get_k(self, layer):
        return self.k[layer]

    def get_v(self, layer):
        return self.v[layer]


@kv_cache_skill.mistake("KVCache", "get_k/get_v return a copy instead of a view")
class KVCacheReturnsCopies(_Reference):
    def get_k(self, layer):
        return super().get_k(layer).copy()

    def get_v(self, layer):
        return super().get_v(layer).copy()
