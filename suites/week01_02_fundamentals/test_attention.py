"""Scaled dot-product attention (roadmap Day 1-2), against
torch.nn.functional.scaled_dot_product_attention in float64.

Three backends pass this same suite: NumPy, Numba and C AVX2."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import session
from aigc_bench import strategies as S
from aigc_bench.checks import assert_close, assert_raises_clearly

from impls.numpy.attention import scaled_dot_product_attention as numpy_attention

from .references import softmax64, torch_reference

SKILL = "attention"


def attention64(q, k, v, mask=None, causal=False):
    """Independent float64 attention (the reference for torch-built backends)."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    lq, lk = q.shape[-2], k.shape[-2]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    allowed = np.tril(np.ones((lq, lk), bool), lk - lq) if causal else np.ones((lq, lk), bool)
    if mask is not None:
        allowed = allowed & mask
    weights = softmax64(np.where(allowed, scores, -np.inf)) if np.all(allowed.any(-1)) else None
    if weights is None:
        empty = ~allowed.any(-1, keepdims=True)
        weights = softmax64(np.where(allowed | empty, np.where(empty, 0.0, scores), -np.inf)) * ~empty
    return weights @ v


def reference(impl, q, k, v, mask=None, causal=False):
    """(float64 reference, torch float32 result or None)."""
    full = np.broadcast_to(mask, q.shape[:-1] + (k.shape[-2],)) if mask is not None else None
    if impl.built_on_torch or (full is not None and not np.all(full.any(-1))):
        # torch returns NaN for fully masked rows; the contract says zeros. Without torch's
        # float32 result, the float32 error allowed is that of the plain NumPy formula in float32.
        peer32 = numpy_attention(*(a.astype(np.float32) for a in (q, k, v)), mask=mask, causal=causal) if q.dtype == np.float32 else None
        return attention64(q, k, v, mask, causal), peer32

    def sdpa(q_, k_, v_):
        bias = None
        lq, lk = q_.shape[-2], k_.shape[-2]
        allowed = torch.ones(lq, lk, dtype=torch.bool).tril(lk - lq) if causal else torch.ones(lq, lk, dtype=torch.bool)
        if full is not None:
            allowed = allowed & torch.from_numpy(np.ascontiguousarray(full))
        bias = allowed
        return F.scaled_dot_product_attention(q_, k_, v_, attn_mask=bias)

    return torch_reference(sdpa, q, k, v)


@settings(max_examples=40)
@given(qkv=S.attention_inputs())
def test_attention_matches_torch(impl, qkv):
    q, k, v = qkv
    out = impl.scaled_dot_product_attention(q, k, v)
    assert out.dtype == q.dtype, f"attention returned {out.dtype} for {q.dtype} inputs"
    assert_close(out, *reference(impl, q, k, v), inputs=(q, k, v))


@settings(max_examples=30)
@given(qkv=S.attention_inputs())
def test_causal_attention(impl, qkv):
    q, k, v = qkv
    out = impl.scaled_dot_product_attention(q, k, v, causal=True)
    assert_close(out, *reference(impl, q, k, v, causal=True), inputs=(q, k, v), what="causal attention")


@settings(max_examples=30)
@given(qkv=S.attention_inputs(same_length=True), seed=st.integers(0, 2**32 - 1), causal=st.booleans())
def test_padding_mask(impl, qkv, seed, causal):
    q, k, v = qkv
    mask = S.padding_mask(np.random.default_rng(seed), q.shape[:-2], q.shape[-2], k.shape[-2])
    out = impl.scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)
    assert_close(out, *reference(impl, q, k, v, mask, causal), inputs=(q, k, v), what="attention with a padding mask")


def test_fully_masked_rows_give_zeros(impl, rng):
    q, k, v = (rng.standard_normal((2, 5, 8)).astype(np.float32) for _ in range(3))
    mask = np.ones((2, 5, 5), bool)
    mask[1, 3, :] = False  # query 3 of batch 1 may attend to nothing
    out = impl.scaled_dot_product_attention(q, k, v, mask=mask)
    assert np.all(np.isfinite(out)), "a fully masked query row must give zeros, not NaN"
    np.testing.assert_array_equal(out[1, 3], 0.0, err_msg="a fully masked query row must give zeros")
    assert_close(out, attention64(q, k, v, mask), None, inputs=(q, k, v))


def test_large_scores_do_not_overflow(impl, rng):
    q = (rng.standard_normal((4, 16)) * 60).astype(np.float32)  # scores ~ 60*60*16/4 = 1e4
    k = (rng.standard_normal((4, 16)) * 60).astype(np.float32)
    v = rng.standard_normal((4, 16)).astype(np.float32)
    out = impl.scaled_dot_product_attention(q, k, v)
    assert_close(out, *reference(impl, q, k, v), inputs=(q, k, v), what="attention with scores near 1e4")


def test_single_token(impl):
    q = np.ones((1, 4), np.float32)
    k = np.ones((1, 4), np.float32)
    v = np.arange(4, dtype=np.float32)[None, :] + 1
    out = impl.scaled_dot_product_attention(q, k, v, causal=True)
    np.testing.assert_allclose(out, v, err_msg="one query and one key: the output is that key's value")


@pytest.mark.parametrize("shapes", [((3, 8), (4, 7), (4, 8)), ((3, 8), (4, 8), (5, 8))], ids=["d-mismatch", "lk-mismatch"])
def test_shape_mismatch_is_a_clear_error(impl, shapes):
    q, k, v = (np.zeros(s, np.float32) for s in shapes)
    assert_raises_clearly(ValueError, impl.scaled_dot_product_attention, q, k, v, what=f"shapes {shapes}")
