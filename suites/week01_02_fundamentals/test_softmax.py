"""Softmax and its gradient (roadmap Day 8-10: derive the softmax gradient).

The gradient is checked against torch autograd: the vector-Jacobian product
of torch.softmax at the same point."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_close, assert_raises_clearly

from .references import softmax64, torch_reference

SKILL = "softmax"


def _reference(impl, x, axis):
    if impl.built_on_torch:
        return softmax64(x, axis), None
    return torch_reference(lambda t: torch.softmax(t, dim=axis), x)


@settings(max_examples=40, deadline=None)
@given(x=S.logits(), data=st.data())
def test_softmax_matches_torch(impl, x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    out = impl.softmax(x, axis=axis)
    assert out.dtype == x.dtype, f"softmax returned {out.dtype} for {x.dtype} input"
    ref64, ref32 = _reference(impl, x, axis)
    assert_close(out, ref64, ref32, inputs=(x,))


def test_softmax_large_logits_do_not_overflow(impl):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1e4, 0.0, 1e4]], dtype=np.float32)
    out = impl.softmax(x)
    ref64, ref32 = _reference(impl, x, -1)
    assert_close(out, ref64, ref32, inputs=(x,), what="softmax of logits near 1e3-1e4")


def test_softmax_rows_sum_to_one(impl, rng):
    x = rng.standard_normal((5, 33)).astype(np.float32) * 3
    out = impl.softmax(x)
    assert np.all(out >= 0), "softmax produced negative probabilities"
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5, err_msg="softmax rows must sum to 1")


@settings(max_examples=30, deadline=None)
@given(x=S.logits(max_len=64), seed=st.integers(0, 2**32 - 1))
def test_softmax_backward_matches_autograd(impl, x, seed):
    axis = -1
    grad_y = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    y = softmax64(x, axis).astype(x.dtype)

    def vjp(t, g):
        t = t.clone().requires_grad_(True)
        torch.softmax(t, dim=axis).backward(g)
        return t.grad

    out = impl.softmax_backward(y, grad_y, axis=axis)
    with torch.enable_grad():
        x64, g64 = torch.from_numpy(x.astype(np.float64)), torch.from_numpy(grad_y.astype(np.float64))
        ref64 = vjp(x64, g64).numpy()
        ref32 = vjp(x64.float(), g64.float()).numpy()
    assert_close(out, ref64, ref32, inputs=(y, grad_y), what="softmax gradient")


def test_softmax_backward_rejects_mismatched_shapes(impl):
    y = np.full((2, 3), 1 / 3, dtype=np.float32)
    assert_raises_clearly(ValueError, impl.softmax_backward, y, np.ones((3, 2), np.float32), what="grad_y of another shape")
