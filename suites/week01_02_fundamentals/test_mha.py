"""Multi-head self-attention (roadmap Day 3-4), against torch.nn.MultiheadAttention
in float64 (its float32 error sets the tolerance), or, for backends built on
torch, against an independent float64 NumPy formula."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_close, assert_raises_clearly

from .test_attention import attention64

SKILL = "mha"
NAMES = "qkvo"


@st.composite
def mha_inputs(draw, max_len: int = 24, max_head_dim: int = 12):
    """(x [..., L, D], weights {w_q..w_o: [D, D]}, biases {b_q..b_o: [D]}, n_heads), D = n_heads * Dh."""
    batch = draw(S.batch_dims(max_dims=2, max_size=2))
    length, n_heads, head_dim = draw(S.lengths(max_len)), draw(st.integers(1, 4)), draw(S.lengths(max_head_dim))
    d_model = n_heads * head_dim
    dtype, layout = draw(S.dtypes()), draw(S.layouts())
    seed = draw(st.integers(0, 2**32 - 100))
    x = S.make_array(batch + (length, d_model), dtype, seed, 1.0, layout)
    weights = {f"w_{n}": S.make_array((d_model, d_model), dtype, seed + 1 + i, 1 / math.sqrt(d_model), layout) for i, n in enumerate(NAMES)}
    biases = {f"b_{n}": S.make_array((d_model,), dtype, seed + 11 + i, 0.1) for i, n in enumerate(NAMES)}
    return x, weights, biases, n_heads


def visible_keys(x, mask, causal):
    """Boolean [..., L, L]: which keys each query may see (None when all)."""
    length = x.shape[-2]
    if mask is None and not causal:
        return None
    allowed = np.tril(np.ones((length, length), bool)) if causal else np.ones((length, length), bool)
    if mask is not None:
        mask = np.asarray(mask, bool)
        allowed = allowed & mask.reshape((1,) * max(0, 2 - mask.ndim) + mask.shape)
    return np.broadcast_to(allowed, x.shape[:-2] + (length, length))


def mha64(x, weights, biases, n_heads, mask=None, causal=False):
    """Independent float64 multi-head attention (the reference for torch-built backends)."""
    x = x.astype(np.float64)
    *batch, length, d_model = x.shape
    head_dim = d_model // n_heads

    def project(n):
        bias = biases.get(f"b_{n}")
        return x @ weights[f"w_{n}"].astype(np.float64) + (0.0 if bias is None else bias.astype(np.float64))

    def heads(t):  # [..., L, D] -> [..., H, L, Dh]
        return np.moveaxis(t.reshape(*batch, length, n_heads, head_dim), -2, -3)

    allowed = visible_keys(x, mask, causal)
    out = attention64(heads(project("q")), heads(project("k")), heads(project("v")), None if allowed is None else allowed[..., None, :, :])
    merged = np.moveaxis(out, -3, -2).reshape(x.shape)  # [..., L, H, Dh] -> [..., L, D]
    bias = biases.get("b_o")
    return merged @ weights["w_o"].astype(np.float64) + (0.0 if bias is None else bias.astype(np.float64))


def torch_mha(x, weights, biases, n_heads, allowed, dtype):
    """torch.nn.MultiheadAttention with these weights, on x flattened to [B, L, D]."""
    *batch, length, d_model = x.shape
    layer = torch.nn.MultiheadAttention(d_model, n_heads, bias=True, batch_first=True, dtype=dtype).eval()

    def tensor(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).to(dtype)

    zero = np.zeros(d_model)
    with torch.no_grad():
        # nn.Linear stores [out, in]: the transpose of the contract's x @ w
        layer.in_proj_weight.copy_(tensor(np.concatenate([weights[f"w_{n}"].T for n in "qkv"])))
        layer.in_proj_bias.copy_(tensor(np.concatenate([zero if biases.get(f"b_{n}") is None else biases[f"b_{n}"] for n in "qkv"])))
        layer.out_proj.weight.copy_(tensor(weights["w_o"].T))
        layer.out_proj.bias.copy_(tensor(zero if biases.get("b_o") is None else biases["b_o"]))
        xb = tensor(x.reshape(-1, length, d_model))
        blocked = None
        if allowed is not None:  # torch's boolean attn_mask says True = may NOT attend, one [L, L] per (batch, head)
            blocked = ~torch.from_numpy(np.array(allowed, order="C").reshape(-1, length, length)).repeat_interleave(n_heads, 0)
        out, _ = layer(xb, xb, xb, attn_mask=blocked, need_weights=False)
    return out.numpy().reshape(x.shape)


def reference(impl, x, weights, biases, n_heads, mask=None, causal=False):
    """(float64 reference, torch float32 result or None)."""
    allowed = visible_keys(x, mask, causal)
    if impl.built_on_torch or (allowed is not None and not np.all(allowed.any(-1))):
        # torch gives NaN where a query sees no key; the contract says zeros
        return mha64(x, weights, biases, n_heads, mask, causal), None
    return tuple(torch_mha(x, weights, biases, n_heads, allowed, dtype) for dtype in (torch.float64, torch.float32))


@settings(max_examples=30)
@given(inputs=mha_inputs(), causal=st.booleans())
def test_mha_matches_torch(impl, inputs, causal):
    x, weights, biases, n_heads = inputs
    out = impl.multi_head_attention(x, **weights, n_heads=n_heads, **biases, causal=causal)
    assert out.dtype == x.dtype, f"multi_head_attention returned {out.dtype} for {x.dtype} input"
    assert_close(out, *reference(impl, x, weights, biases, n_heads, causal=causal), inputs=(x,), what="multi-head attention")


@settings(max_examples=20)
@given(inputs=mha_inputs(), seed=st.integers(0, 2**32 - 1), causal=st.booleans())
def test_mha_padding_mask(impl, inputs, seed, causal):
    x, weights, biases, n_heads = inputs
    length = x.shape[-2]
    mask = S.padding_mask(np.random.default_rng(seed), x.shape[:-2], length, length)  # [..., 1, L]
    out = impl.multi_head_attention(x, **weights, n_heads=n_heads, **biases, mask=mask, causal=causal)
    ref64, ref32 = reference(impl, x, weights, biases, n_heads, mask, causal)
    assert_close(out, ref64, ref32, inputs=(x,), what="multi-head attention with a padding mask")


def test_mha_without_biases(impl, rng):
    x = rng.standard_normal((2, 7, 12)).astype(np.float32)
    weights = {f"w_{n}": (rng.standard_normal((12, 12)) / 4).astype(np.float32) for n in NAMES}
    out = impl.multi_head_attention(x, **weights, n_heads=3, causal=True)
    assert_close(out, *reference(impl, x, weights, {}, 3, causal=True), inputs=(x,), what="multi-head attention without biases")


def test_fully_masked_query_outputs_the_output_bias(impl, rng):
    x = rng.standard_normal((6, 8))
    weights = {f"w_{n}": rng.standard_normal((8, 8)) / 3 for n in NAMES}
    biases = {f"b_{n}": rng.standard_normal(8) for n in NAMES}
    mask = np.ones((6, 6), bool)
    mask[2] = False  # query 2 may attend to nothing
    out = impl.multi_head_attention(x, **weights, n_heads=2, **biases, mask=mask)
    assert np.all(np.isfinite(out)), "a query with no allowed key must give zeros from attention, not NaN"
    assert_close(out, mha64(x, weights, biases, 2, mask), None, inputs=(x,), what="multi-head attention with a fully masked query")


@pytest.mark.parametrize(
    "case", ["heads-do-not-divide", "w_q-not-square", "b_o-wrong-length"]
)
def test_bad_shapes_are_clear_errors(impl, case):
    d_model, n_heads = 12, 4
    x = np.zeros((5, d_model))
    weights = {f"w_{n}": np.eye(d_model) for n in NAMES}
    biases = {f"b_{n}": np.zeros(d_model) for n in NAMES}
    if case == "heads-do-not-divide":
        n_heads = 5
    elif case == "w_q-not-square":
        weights["w_q"] = np.eye(d_model, d_model + 1)
    else:
        biases["b_o"] = np.zeros(d_model - 1)
    assert_raises_clearly(ValueError, impl.multi_head_attention, x, **weights, n_heads=n_heads, **biases, what=case)
