"""The KV cache (roadmap Day 60-63): contents, views, preallocation, alignment, errors.

A simple list-of-positions model is the reference for the contents; the
cache's memory behaviour is checked directly: views share the cache's buffer,
the buffer never moves, updates allocate nothing (tracemalloc), and the data
pointer is 64-byte aligned.
"""

import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_exact, assert_raises_clearly, fail

SKILL = "kv_cache"


def expected_view(rows, n_heads, head_dim):
    """[n_heads, len(rows), head_dim] from a list of per-position [n_heads, head_dim] arrays."""
    if not rows:
        return np.zeros((n_heads, 0, head_dim), np.float32)
    return np.stack(rows, axis=1)


def data_pointer(a):
    return a.__array_interface__["data"][0]


@st.composite
def cache_schedules(draw):
    """A cache shape and a schedule of writes: one prefill chunk, then single-position decodes."""
    n_layers, n_heads, head_dim = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.sampled_from([1, 3, 8, 17, 64]))
    max_seq_len = draw(st.integers(1, 40))
    prefill = draw(st.integers(1, max_seq_len))
    decodes = draw(st.integers(0, max_seq_len - prefill))
    return (max_seq_len, n_layers, n_heads, head_dim), prefill, decodes, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=40)
@given(schedule=cache_schedules())
def test_cache_holds_what_was_written(impl, schedule):
    (max_seq_len, n_layers, n_heads, head_dim), prefill, decodes, seed = schedule
    rng = np.random.default_rng(seed)
    cache = impl.KVCache(max_seq_len, n_layers, n_heads, head_dim)
    written_k = [[] for _ in range(n_layers)]
    written_v = [[] for _ in range(n_layers)]
    for layer in range(n_layers):
        k, v = rng.standard_normal((2, prefill, n_heads, head_dim)).astype(np.float32)
        cache.update_k(layer, k, 0)
        cache.update_v(layer, v, 0)
        written_k[layer] += list(k)
        written_v[layer] += list(v)
    for step in range(decodes):
        pos = prefill + step
        for layer in range(n_layers):
            k, v = rng.standard_normal((2, n_heads, head_dim)).astype(np.float32)
            cache.update_k(layer, k, pos)
            cache.update_v(layer, v, pos)
            written_k[layer].append(k)
            written_v[layer].append(v)
    for layer in range(n_layers):
        assert_exact(cache.get_k(layer), expected_view(written_k[layer], n_heads, head_dim), what=f"get_k({layer}) after {prefill} prefill + {decodes} decode positions")
        assert_exact(cache.get_v(layer), expected_view(written_v[layer], n_heads, head_dim), what=f"get_v({layer})")


def test_rewriting_an_earlier_position_rolls_back(impl, rng):
    cache = impl.KVCache(8, 1, 2, 4)
    k = rng.standard_normal((6, 2, 4)).astype(np.float32)
    cache.update_k(0, k, 0)
    replacement = rng.standard_normal((2, 4)).astype(np.float32)
    cache.update_k(0, replacement, 3)  # speculative decoding rejected positions 3..5
    assert_exact(cache.get_k(0), np.stack(list(k[:3]) + [replacement], axis=1), what="keys after rewriting position 3 of 6")


def test_get_returns_views_of_one_preallocated_buffer(impl, rng):
    cache = impl.KVCache(64, 2, 4, 16)
    cache.update_k(1, rng.standard_normal((4, 16)).astype(np.float32), 0)
    first = cache.get_k(1)
    if not np.shares_memory(first, cache.get_k(1)):
        fail("get_k returns a copy: two reads of the same layer share no memory (it must return a view)")
    start = data_pointer(first)
    for pos in range(1, 64):
        cache.update_k(1, rng.standard_normal((4, 16)).astype(np.float32), pos)
        if data_pointer(cache.get_k(1)) != start:
            fail(f"the cache's keys moved in memory after the update at position {pos}: it reallocates instead of writing into preallocated memory")
    if not np.shares_memory(first, cache.get_k(1)):
        fail("a view taken at position 0 no longer shares memory with the cache: the buffer was reallocated")


def test_updates_allocate_nothing(impl, rng):
    max_seq_len, n_layers, n_heads, head_dim = 256, 2, 4, 32
    cache = impl.KVCache(max_seq_len, n_layers, n_heads, head_dim)
    total = 2 * n_layers * n_heads * max_seq_len * head_dim * 4
    assert cache.nbytes == total, f"nbytes is {cache.nbytes}; K and V of {max_seq_len} positions take {total} bytes"
    rows = rng.standard_normal((max_seq_len, n_heads, head_dim)).astype(np.float32)
    tracemalloc.start()
    try:
        for pos in range(max_seq_len):
            for layer in range(n_layers):
                cache.update_k(layer, rows[pos], pos)
                cache.update_v(layer, rows[pos], pos)
                cache.get_k(layer), cache.get_v(layer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A few small temporaries are fine; one layer's worth of keys is not.
    if peak > total // (2 * n_layers) // 4:
        fail(f"updates allocated up to {peak} bytes at once (the whole cache is {total}): memory is not preallocated, or reads copy")


def test_memory_is_64_byte_aligned(impl, rng):
    for shape in [(5, 1, 1, 3), (17, 2, 3, 8), (33, 3, 12, 64)]:
        cache = impl.KVCache(*shape)
        cache.update_k(0, rng.standard_normal(shape[2:]).astype(np.float32), 0)
        cache.update_v(0, rng.standard_normal(shape[2:]).astype(np.float32), 0)
        for name, view in (("keys", cache.get_k(0)), ("values", cache.get_v(0))):
            if data_pointer(view) % 64:
                fail(f"layer 0's {name} start at address {data_pointer(view):#x}, not a multiple of 64 bytes (cache shape {shape})")


def test_bad_use_is_a_clear_error(impl):
    assert_raises_clearly(ValueError, impl.KVCache, 0, 1, 1, 4, what="max_seq_len=0")
    cache = impl.KVCache(4, 2, 2, 8)
    one = np.zeros((2, 8), np.float32)
    cache.update_k(0, np.zeros((4, 2, 8), np.float32), 0)
    assert_raises_clearly(IndexError, cache.update_k, 0, one, 4, what="a write at position 4 of max_seq_len=4")
    assert_raises_clearly(IndexError, cache.update_k, 1, np.zeros((5, 2, 8), np.float32), 0, what="a 5-position chunk in a 4-position cache")
    assert_raises_clearly(IndexError, cache.update_v, 2, one, 0, what="layer 2 of a 2-layer cache")
    assert_raises_clearly(ValueError, cache.update_k, 1, np.zeros((3, 8), np.float32), 0, what="3 heads for a 2-head cache")
    assert_raises_clearly(ValueError, cache.update_v, 1, one, 2, what="a write at position 2 of an empty layer (a gap)")


@pytest.mark.bench
def test_update_time_is_flat_in_position(impl, rng, record_metric):
    """O(1) update: the time of one decode write at position 10 vs near the end of a 4096 cache."""
    cache = impl.KVCache(4096, 12, 12, 64)
    update = cache.update_k
    row = rng.standard_normal((12, 64)).astype(np.float32)
    update(0, np.zeros((4000, 12, 64), np.float32), 0)

    def time_at(pos, repeats=2000):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(repeats):
                update(0, row, pos)
            best = min(best, (time.perf_counter() - start) / repeats)
        return best

    early, late = float("inf"), float("inf")
    for _ in range(3):  # alternate, so that machine noise hits both alike
        late = min(late, time_at(3999))
        early = min(early, time_at(10))  # rolls the layer back to 11 positions...
        update(0, np.zeros((3989, 12, 64), np.float32), 11)  # ...so refill it up to 4000
    record_metric("kv_update_us_pos10", early * 1e6, "us", "lower")
    record_metric("kv_update_us_pos3999", late * 1e6, "us", "lower")
    record_metric("kv_update_late_over_early", late / early, "x", "lower")
    print(f"KV update: {early * 1e6:.2f} us at position 10, {late * 1e6:.2f} us at 3999 (ratio {late / early:.2f})")
