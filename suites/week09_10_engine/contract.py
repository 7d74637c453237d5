"""Contract of the KV cache (roadmap Day 60-63), the roadmap's C++ interface in Python form.

    class KVCache {
        KVCache(size_t max_seq_len, size_t n_layers, size_t n_heads, size_t head_dim);
        void update_k(size_t layer, const float* k, size_t pos);
        const float* get_k(size_t layer) const;
    };
"""

from aigc_bench.contract import Skill

kv_cache_skill = Skill(
    "kv_cache",
    weeks=(9, 10),
    summary="a preallocated, aligned KV cache with O(1) updates and views on read",
    roadmap="Day 60-63: KV cache (preallocated contiguous memory, O(1) update, alignment; prefill vs decode; memory)",
)


@kv_cache_skill.function
class KVCache:
    """Keys and values of every layer for one sequence, up to max_seq_len positions.

    KVCache(max_seq_len, n_layers, n_heads, head_dim, dtype=np.float32): all the
    memory is allocated here, once (K and V: n_layers x n_heads x max_seq_len x
    head_dim each), with the data pointer a multiple of 64 bytes. Raises
    ValueError for a size that is not a positive integer.
    """

    def __init__(self, max_seq_len, n_layers, n_heads, head_dim, dtype="float32"):
        """Allocate K and V for every layer, head and position now (64-byte aligned)."""
        raise NotImplementedError

    def update_k(self, layer, x, pos):
        """Write keys for positions pos .. pos+n-1 of `layer`.

        x: [n_heads, head_dim] (one position) or [n, n_heads, head_dim] (a prefill
        chunk). O(n), independent of pos; no reallocation. Afterwards the layer
        holds pos+n positions: writing at pos < length overwrites and forgets the
        later ones (a rollback). Raises IndexError past max_seq_len or for a bad
        layer, ValueError for a wrong shape or a pos beyond the current length (a gap).
        """
        raise NotImplementedError

    def update_v(self, layer, x, pos):
        """As update_k, for values."""
        raise NotImplementedError

    def get_k(self, layer):
        """The layer's keys [n_heads, length, head_dim]: a view of the cache's memory
        (no copy), valid until the next update."""
        raise NotImplementedError

    def get_v(self, layer):
        """As get_k, for values."""
        raise NotImplementedError

    @property
    def nbytes(self):
        """Bytes allocated for K and V together (the preallocated total, not the filled part)."""
        raise NotImplementedError
