"""Flash attention (roadmap Day 81; stage 4: FlashAttention-2 tiling) against
torch's scaled_dot_product_attention in float64, and its memory against the n x n
score matrix it must never hold (tracemalloc)."""

import tracemalloc

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_close, assert_raises_clearly, fail
from suites.week01_02_fundamentals.references import torch_reference

SKILL = "flash_attention"


def sdpa_reference(q, k, v, causal):
    lq, lk = q.shape[-2], k.shape[-2]

    def sdpa(q_, k_, v_):
        import torch

        allowed = torch.ones(lq, lk, dtype=torch.bool).tril(lk - lq) if causal else None
        return F.scaled_dot_product_attention(q_, k_, v_, attn_mask=allowed)

    return torch_reference(sdpa, q, k, v)


@settings(max_examples=30)
@given(qkv=S.attention_inputs(max_len=80), causal=st.booleans(), block_size=st.sampled_from([1, 3, 16, 64, 128]))
def test_flash_equals_naive_attention(impl, qkv, causal, block_size):
    q, k, v = qkv
    if causal and q.shape[-2] > k.shape[-2]:  # torch gives NaN rows there; keep the last Lk queries
        q = q[..., -k.shape[-2] :, :]
    out = impl.flash_attention(q, k, v, causal=causal, block_size=block_size)
    assert out.dtype == q.dtype, f"flash attention returned {out.dtype} for {q.dtype} inputs"
    assert_close(out, *sdpa_reference(q, k, v, causal), inputs=(q, k, v), what=f"flash attention (causal={causal}, block_size={block_size})")


@pytest.mark.stage4
@pytest.mark.parametrize("lq,lk", [(1, 200), (7, 200), (200, 200), (129, 257)], ids=["decode", "chunk", "prefill", "odd"])
@pytest.mark.parametrize("block_size", [32, 50])
def test_flash2_tiling_with_cached_keys(impl, rng, lq, lk, block_size):
    """FlashAttention-2 shapes: query tiles over a longer key history (a KV cache), causal,
    with the diagonal falling inside tiles and block sizes that do not divide the lengths;
    scores large enough that a missing rescale of the running sum shows."""
    q = (rng.standard_normal((3, lq, 32)) * 3).astype(np.float32)
    k = (rng.standard_normal((3, lk, 32)) * 3).astype(np.float32)
    v = rng.standard_normal((3, lk, 24)).astype(np.float32)
    out = impl.flash_attention(q, k, v, causal=True, block_size=block_size)
    assert_close(out, *sdpa_reference(q, k, v, True), inputs=(q, k, v), what=f"causal flash attention, {lq} queries over {lk} keys")


def peak_bytes(fn, *args, **kwargs):
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_never_materialises_the_score_matrix(impl, rng, record_metric):
    """tracemalloc sees NumPy's allocations (a compiled kernel's own scratch memory,
    e.g. Numba's, is invisible to it: those are tiled by construction)."""
    n, d = 1024, 32
    q, k, v = (rng.standard_normal((1, n, d)).astype(np.float32) for _ in range(3))
    flash = impl.raw("flash_attention")
    peak = peak_bytes(flash, q, k, v, causal=True, block_size=64)
    scores = n * n * 4
    record_metric("flash_peak_bytes_n1024", peak, "B", "lower")
    if peak > scores // 4:
        fail(f"flash attention at n={n} peaked at {peak} bytes, a large part of the {scores}-byte n x n score matrix: it must work in tiles")


def test_bad_input_is_a_clear_error(impl):
    q = np.zeros((4, 8), np.float32)
    assert_raises_clearly(ValueError, impl.flash_attention, q, np.zeros((4, 7), np.float32), np.zeros((4, 8), np.float32), what="d of q and k differ")
    assert_raises_clearly(ValueError, impl.flash_attention, q, q, np.zeros((5, 8), np.float32), what="k and v lengths differ")
    assert_raises_clearly(ValueError, impl.flash_attention, q, q, q, block_size=0, what="block_size=0")


@pytest.mark.bench
def test_memory_naive_vs_flash(impl, rng, run_record):
    """Peak traced memory as n grows: O(n^2) for naive attention, O(n) for flash."""
    from impls.numpy.attention import scaled_dot_product_attention

    rows = []
    for n in (256, 512, 1024, 2048, 4096):
        q, k, v = (rng.standard_normal((1, n, 64)).astype(np.float32) for _ in range(3))
        rows.append({"n": n, "naive_bytes": peak_bytes(scaled_dot_product_attention, q, k, v, causal=True), "flash_bytes": peak_bytes(impl.raw("flash_attention"), q, k, v, causal=True)})
        print(rows[-1])
    run_record.add_section("engine_attention_memory", {"impl": impl.name, "rows": rows})
