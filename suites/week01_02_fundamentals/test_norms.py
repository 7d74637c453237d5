"""LayerNorm and RMSNorm (roadmap Day 5-7) against torch.nn.functional.layer_norm
and torch.nn.functional.rms_norm: float64 reference, torch float32 sets the tolerance."""

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_close, assert_raises_clearly

from .references import torch_reference

SKILL = "norms"


def layer_norm_reference(x, weight, bias, eps):
    """(float64, float32) torch layer_norm; torch-built backends get the float64 formula instead."""
    d = x.shape[-1]
    return torch_reference(lambda t, w, b: F.layer_norm(t, (d,), w, b, eps), x, weight, bias)


def rms_norm_reference(x, weight, eps):
    d = x.shape[-1]
    return torch_reference(lambda t, w: F.rms_norm(t, (d,), w, eps), x, weight)


@st.composite
def norm_inputs(draw):
    """x [..., d] (any layout, scales 0.01 .. 10), optional weight and bias [d] of x's dtype, an eps."""
    shape = draw(S.batch_dims()) + (draw(S.lengths(200)),)
    x = draw(S.arrays(st.just(shape)))
    d = x.shape[-1]
    weight = draw(st.one_of(st.none(), S.arrays(st.just((d,)), dtype=x.dtype, scale=1.0)))
    bias = draw(st.one_of(st.none(), S.arrays(st.just((d,)), dtype=x.dtype, scale=1.0)))
    eps = draw(st.sampled_from([1e-5, 1e-6, 1e-2]))
    return x, weight, bias, eps


@settings(max_examples=40)
@given(inputs=norm_inputs())
def test_layer_norm_matches_torch(impl, inputs):
    x, weight, bias, eps = inputs
    out = impl.layer_norm(x, weight, bias, eps=eps)
    assert out.dtype == x.dtype, f"layer_norm returned {out.dtype} for {x.dtype} input"
    assert_close(out, *layer_norm_reference(x, weight, bias, eps), inputs=(x,), what=f"layer_norm (eps={eps})")


@settings(max_examples=40)
@given(inputs=norm_inputs())
def test_rms_norm_matches_torch(impl, inputs):
    x, weight, _, eps = inputs
    out = impl.rms_norm(x, weight, eps=eps)
    assert out.dtype == x.dtype, f"rms_norm returned {out.dtype} for {x.dtype} input"
    assert_close(out, *rms_norm_reference(x, weight, eps), inputs=(x,), what=f"rms_norm (eps={eps})")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_small_values_put_eps_inside_the_sqrt(impl, rng, dtype):
    # activations ~1e-3: sqrt(var + eps) and sqrt(var) + eps differ by ~0.5%
    x = (rng.standard_normal((4, 64)) * 1e-3).astype(dtype)
    out = impl.layer_norm(x, eps=1e-5)
    assert_close(out, *layer_norm_reference(x, None, None, 1e-5), inputs=(x,), what="layer_norm of activations ~1e-3")


@pytest.mark.parametrize("d", [2, 3, 8])
def test_layer_norm_uses_the_biased_variance(impl, rng, d):
    # few features: dividing by d - 1 instead of d changes the scale by sqrt(d / (d - 1))
    x = rng.standard_normal((16, d))
    out = impl.layer_norm(x)
    assert_close(out, *layer_norm_reference(x, None, None, 1e-5), inputs=(x,), what=f"layer_norm over {d} features")


def test_layer_norm_large_offset_float32(impl, rng):
    # mean 1e4, spread 1: E[x^2] - E[x]^2 loses every digit in float32; (x - mean)^2 does not
    x = (1e4 + rng.standard_normal((8, 256))).astype(np.float32)
    out = impl.layer_norm(x)
    assert_close(out, *layer_norm_reference(x, None, None, 1e-5), inputs=(x,), what="layer_norm of float32 values near 1e4")


def test_layer_norm_constant_row_gives_bias(impl):
    x = np.full((2, 5), 3.0, np.float32)
    bias = np.arange(5, dtype=np.float32)
    out = impl.layer_norm(x, None, bias)
    np.testing.assert_allclose(out, np.broadcast_to(bias, x.shape), atol=1e-6, err_msg="a constant row normalises to 0, leaving the bias")


def test_rms_norm_keeps_the_mean(impl):
    # every feature equal: RMSNorm gives ones, a norm that subtracts the mean gives zeros
    x = np.full((3, 6), 2.0)
    assert_close(impl.rms_norm(x, eps=0.0), np.ones_like(x), None, what="rms_norm of a constant row (no mean subtraction)")


@pytest.mark.parametrize("function", ["layer_norm", "rms_norm"])
def test_weight_of_wrong_shape_is_a_clear_error(impl, function):
    x = np.ones((2, 8), np.float32)
    assert_raises_clearly(ValueError, getattr(impl, function), x, np.ones(7, np.float32), what=f"{function} with weight of shape (7,) for d=8")

