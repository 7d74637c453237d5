"""PagedAttention (roadmap Day 82-83): a block table over fixed-size KV blocks.

Several sequences grow in turns, so their blocks interleave in the pool;
attention read through each block table must equal attention over the same
keys and values held contiguously (torch, float64 rule), and blocks must come
back to the pool when a sequence is freed."""

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_close, assert_exact, assert_raises_clearly, fail
from suites.week01_02_fundamentals.references import torch_reference

SKILL = "paged_attention"
N_LAYERS, N_HEADS, HEAD_DIM = 2, 3, 16


def causal_attention_reference(q, k, v):
    lq, lk = q.shape[-2], k.shape[-2]

    def sdpa(q_, k_, v_):
        import torch

        return F.scaled_dot_product_attention(q_, k_, v_, attn_mask=torch.ones(lq, lk, dtype=torch.bool).tril(lk - lq))

    return torch_reference(sdpa, q, k, v)


def fill_in_turns(impl, rng, lengths, block_size, num_blocks=64, chunk=3):
    """Sequences appended a few positions at a time, in turns (their blocks interleave).
    Returns the cache and the contiguous (k, v) [H, n, D] per sequence and layer."""
    cache = impl.PagedKVCache(num_blocks, block_size, N_LAYERS, N_HEADS, HEAD_DIM)
    held = {s: [([], []) for _ in range(N_LAYERS)] for s in range(len(lengths))}
    for s in held:
        cache.add_sequence(s)
    done = {s: 0 for s in held}
    while any(done[s] < lengths[s] for s in held):
        for s in held:
            t = min(chunk if done[s] else 1 + chunk * s, lengths[s] - done[s])
            if t <= 0:
                continue
            for layer in range(N_LAYERS):
                k, v = rng.standard_normal((2, t, N_HEADS, HEAD_DIM)).astype(np.float32)
                cache.append(s, layer, k, v)
                held[s][layer][0].append(k)
                held[s][layer][1].append(v)
            done[s] += t
    contiguous = {s: [tuple(np.swapaxes(np.concatenate(parts), 0, 1) for parts in kv) for kv in layers] for s, layers in held.items()}
    return cache, contiguous


@settings(max_examples=15)
@given(lengths=st.lists(st.integers(1, 40), min_size=1, max_size=4), block_size=st.sampled_from([1, 4, 5, 16]), tq=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_paged_equals_contiguous_attention(impl, lengths, block_size, tq, seed):
    rng = np.random.default_rng(seed)
    cache, contiguous = fill_in_turns(impl, rng, lengths, block_size, num_blocks=sum(-(-n // block_size) for n in lengths))
    for s, n in enumerate(lengths):
        for layer in range(N_LAYERS):
            k, v = contiguous[s][layer]
            q = rng.standard_normal((N_HEADS, min(tq, n), HEAD_DIM)).astype(np.float32)
            out = impl.paged_attention(q, cache, s, layer)
            assert_close(out, *causal_attention_reference(q, k, v), inputs=(q,), what=f"paged attention of sequence {s} (length {n}, block {block_size}), layer {layer}")


def test_block_table_and_gather(impl, rng):
    cache, contiguous = fill_in_turns(impl, rng, [10, 7, 13], block_size=4)
    for s, n in enumerate([10, 7, 13]):
        table = cache.block_table(s)
        if len(table) != -(-n // 4):
            fail(f"sequence {s} of {n} positions holds {len(table)} blocks of 4, expected {-(-n // 4)}")
        assert cache.length(s) == n, f"length({s}) is {cache.length(s)}, expected {n}"
        k, v = cache.gather(s, 1)
        assert_exact(k, contiguous[s][1][0], what=f"gathered keys of sequence {s}")
        assert_exact(v, contiguous[s][1][1], what=f"gathered values of sequence {s}")
    tables = [set(cache.block_table(s)) for s in range(3)]
    if tables[0] & tables[1] or tables[1] & tables[2] or tables[0] & tables[2]:
        fail(f"two sequences share a physical block: {tables}")


def test_free_returns_blocks_and_they_are_reused(impl, rng):
    cache, _ = fill_in_turns(impl, rng, [9, 9], block_size=4, num_blocks=6)
    assert cache.num_free_blocks == 0, f"{cache.num_free_blocks} blocks free after filling 6 of 6"
    assert_raises_clearly(MemoryError, cache.append, 0, 0, np.zeros((4, N_HEADS, HEAD_DIM), np.float32), np.zeros((4, N_HEADS, HEAD_DIM), np.float32), what="appending with no free block")
    freed = set(cache.block_table(0))
    cache.free(0)
    if cache.num_free_blocks != 3:
        fail(f"freeing a 3-block sequence left {cache.num_free_blocks} blocks free: blocks leak")
    cache.add_sequence("new")
    cache.append("new", 0, np.ones((9, N_HEADS, HEAD_DIM), np.float32), np.ones((9, N_HEADS, HEAD_DIM), np.float32))
    if set(cache.block_table("new")) != freed:
        fail("a new sequence did not reuse the freed blocks")
    q = rng.standard_normal((N_HEADS, 2, HEAD_DIM)).astype(np.float32)
    k, v = cache.gather("new", 0)
    assert_close(impl.paged_attention(q, cache, "new", 0), *causal_attention_reference(q, k, v), inputs=(q,), what="attention over reused blocks")


def test_bad_use_is_a_clear_error(impl):
    cache = impl.PagedKVCache(4, 4, 1, 2, 8)
    assert_raises_clearly(KeyError, cache.append, "nope", 0, np.zeros((1, 2, 8), np.float32), np.zeros((1, 2, 8), np.float32), what="an unknown sequence")
    cache.add_sequence(0)
    assert_raises_clearly(ValueError, cache.append, 0, 0, np.zeros((1, 3, 8), np.float32), np.zeros((1, 3, 8), np.float32), what="3 heads for a 2-head cache")
    cache.append(0, 0, np.zeros((2, 2, 8), np.float32), np.zeros((2, 2, 8), np.float32))
    assert_raises_clearly(ValueError, impl.paged_attention, np.zeros((2, 3, 8), np.float32), cache, 0, 0, what="3 queries over 2 positions")


@pytest.mark.bench
def test_memory_utilisation_vs_contiguous(impl, rng, run_record, record_metric):
    """KV memory actually used for a mix of sequence lengths: paged blocks of 16 vs one
    contiguous max_seq_len cache per sequence (the week 9-10 design)."""
    max_seq_len, block = 1024, 16
    lengths = rng.integers(20, max_seq_len, 32).tolist()
    cache = impl.PagedKVCache(sum(-(-n // block) for n in lengths), block, 1, N_HEADS, HEAD_DIM)
    for s, n in enumerate(lengths):
        cache.add_sequence(s)
        cache.append(s, 0, np.zeros((n, N_HEADS, HEAD_DIM), np.float32), np.zeros((n, N_HEADS, HEAD_DIM), np.float32))
    paged = cache.utilisation()
    contiguous = sum(lengths) / (len(lengths) * max_seq_len)
    record_metric("paged_kv_utilisation", paged, "", "higher")
    record_metric("contiguous_kv_utilisation", contiguous, "", "higher")
    run_record.add_section("engine_paged_memory", {"lengths": lengths, "block_size": block, "max_seq_len": max_seq_len, "paged_utilisation": paged, "contiguous_utilisation": contiguous})
    print(f"KV utilisation: paged {paged:.3f} vs contiguous preallocation {contiguous:.3f}")
