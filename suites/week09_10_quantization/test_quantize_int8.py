"""INT8 quantization (roadmap Day 64-65): symmetric per-tensor/row/column/group and
asymmetric with a zero point. Properties first (hypothesis), then the named
symptoms of the catalogued mistakes, then bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_close, assert_exact, assert_raises_clearly, fail

from .contract import GRANULARITIES
from .quant_checks import assert_round_trip, full_scale, quantizer_inputs

SKILL = "quantize_int8"


def _check_outputs(x, q, scale, granularity, group_size):
    if not (isinstance(q, np.ndarray) and q.dtype == np.int8 and q.shape == x.shape):
        fail(f"q must be int8 of shape {x.shape}, got {getattr(q, 'dtype', type(q))} {getattr(q, 'shape', '')}")
    n = x.shape[-1]
    expected = {"tensor": (1,) * x.ndim, "row": x.shape[:-1] + (1,), "column": (1, n), "group": x.shape[:-1] + (n // (group_size or 1),)}[granularity]
    if not (isinstance(scale, np.ndarray) and scale.dtype == np.float32 and scale.shape == expected):
        fail(f"scale for granularity {granularity!r} must be float32 of shape {expected}, got {getattr(scale, 'dtype', type(scale))} {getattr(scale, 'shape', '')}")


@pytest.mark.parametrize("granularity", GRANULARITIES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_symmetric_round_trip_within_half_a_step(impl, granularity, data):
    x, g = data.draw(quantizer_inputs("group" if granularity == "group" else "row"), label="x, group_size")
    q, scale = impl.quantize_int8(x, granularity, group_size=g if granularity == "group" else None)
    _check_outputs(x, q, scale, granularity, g)
    if q.min() < -127:
        fail(f"q contains {q.min()}: the symmetric range is [-127, 127] (-128 has no positive twin)")
    x_hat = impl.dequantize_int8(q, scale)
    per_element, _ = full_scale(x.shape, scale)
    assert_round_trip(x, x_hat, per_element, what=f"INT8 {granularity}")
    assert np.all(q[x == 0] == 0), "zero must quantize to 0 in a symmetric scheme"


@pytest.mark.parametrize("granularity", ["row", "group"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_asymmetric_round_trip_and_exact_zero(impl, granularity, data):
    x, g = data.draw(quantizer_inputs(granularity), label="x, group_size")
    q, scale, zero_point = impl.quantize_int8_asymmetric(x, granularity, group_size=g if granularity == "group" else None)
    if q.dtype != np.uint8 or q.shape != x.shape:
        fail(f"asymmetric q must be uint8 of shape {x.shape}, got {q.dtype} {q.shape}")
    if np.asarray(zero_point).shape != scale.shape or np.any(zero_point < 0) or np.any(zero_point > 255):
        fail(f"zero_point must have the scale's shape {scale.shape} and lie in [0, 255]")
    per_element, zp = full_scale(x.shape, scale, zero_point)
    assert_round_trip(x, impl.dequantize_int8(q, scale, zero_point), per_element, what=f"asymmetric INT8 {granularity}")
    if not np.all(q[x == 0] == zp[x == 0]):
        fail("0.0 must quantize exactly to the zero point (the range must include 0)")


def test_scale_is_max_abs_over_127(impl, rng):
    x = rng.standard_normal((4, 64)).astype(np.float32)
    x[1, 5] = 9.0  # one large value per row would be clipped by a scale from the mean
    q, scale = impl.quantize_int8(x, "row")
    expected = np.max(np.abs(x), axis=1, keepdims=True) / 127
    if not np.allclose(scale, expected, rtol=1e-6, atol=0):
        i = int(np.argmax(np.abs(scale - expected)))
        fail(
            f"row {i}: scale {float(scale.flat[i]):.6g} != max|x|/127 = {float(expected.flat[i]):.6g} "
            f"(ratio {float(scale.flat[i] / expected.flat[i]):.3f}); a scale from the mean clips the largest values"
        )
    if not np.all(np.abs(q).max(axis=1) == 127):
        fail("each row's largest |x| must map to +-127 (the whole range is used)")


def test_rounds_to_nearest_not_toward_zero(impl):
    x = np.array([[1.0, 0.9, -0.9, 0.4, -0.4, 0.0]], np.float32)  # scale = 1/127
    q, _ = impl.quantize_int8(x, "row")
    expected = np.rint(x * 127).astype(np.int8)  # 114.3 -> 114, 50.8 -> 51
    if not np.array_equal(q, expected):
        fail(f"quantize_int8({x.tolist()}) gave {q.tolist()}, expected {expected.tolist()}: "
             "codes must be rounded to the nearest integer (rounding by truncation loses up to a whole step)")


def test_symmetric_range_is_plus_minus_127(impl):
    x = np.array([[-2.0, 2.0, 0.5, -0.5]], np.float32)
    q, scale = impl.quantize_int8(x, "row")
    if q[0, 0] == -128 or q[0, 1] != 127 or q[0, 0] != -q[0, 1]:
        fail(f"symmetric INT8 of [-max, +max] gave [{q[0, 0]}, {q[0, 1]}], expected [-127, 127]: the int8 range "
             "-128..127 used asymmetrically makes q(-x) != -q(x) and clips +max")
    assert_exact(q[0, 2:], -q[0, 2:][::-1], what="q(-x) = -q(x)")


def test_saturates_beyond_a_calibrated_scale(impl):
    scale = np.array([[0.01]], np.float32)  # a calibrated range of +-1.27
    x = np.array([[0.5, 1.27, 1.3, 5.0, -5.0, -100.0, 100.0]], np.float32)
    q, _ = impl.quantize_int8(x, "tensor", scale=scale)
    expected = np.array([[50, 127, 127, 127, -127, -127, 127]], np.int8)
    if not np.array_equal(q, expected):
        fail(f"with scale 0.01, {x.tolist()} quantized to {q.tolist()}, expected {expected.tolist()}: values beyond "
             "127 * scale must saturate at +-127; a missing clamp before the int8 cast wraps them around")


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_all_zero_input_does_not_divide_by_zero(impl, granularity):
    x = np.zeros((3, 8), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a 0/0 shows up as a RuntimeWarning
        q, scale = impl.quantize_int8(x, granularity, group_size=4 if granularity == "group" else None)
        q_a, scale_a, zp = impl.quantize_int8_asymmetric(x, granularity, group_size=4 if granularity == "group" else None)
        x_hat, x_hat_a = impl.dequantize_int8(q, scale), impl.dequantize_int8(q_a, scale_a, zp)
    assert_exact(q, np.zeros_like(q), what="codes of an all-zero input")
    for out, name in ((x_hat, "symmetric"), (x_hat_a, "asymmetric")):
        if not np.array_equal(out, np.zeros_like(out)):
            fail(f"{name} round trip of zeros gave {out.ravel()[:4]}... (NaN means a 0/0 scale division)")


def test_dequantize_is_q_times_scale(impl, rng):
    q = rng.integers(-127, 128, (5, 32)).astype(np.int8)
    scale = rng.uniform(0.001, 0.1, (5, 4)).astype(np.float32)
    out = impl.dequantize_int8(q, scale)
    ref = q.astype(np.float64) * np.repeat(scale.astype(np.float64), 8, axis=1)
    assert_close(out, ref, inputs=(q,), what="dequantize_int8 with group scales")
    assert out.dtype == np.float32, f"dequantize_int8 must return float32, got {out.dtype}"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_raise(impl, bad):
    x = np.ones((2, 8), np.float32)
    x[1, 3] = bad
    assert_raises_clearly(ValueError, impl.quantize_int8, x, "row", match_any=("nan", "inf", "finite"), what=f"x containing {bad}")
    assert_raises_clearly(ValueError, impl.quantize_int8_asymmetric, x, "row", match_any=("nan", "inf", "finite"), what=f"x containing {bad}")


def test_bad_arguments_raise(impl):
    x = np.ones((2, 12), np.float32)
    assert_raises_clearly(ValueError, impl.quantize_int8, x, "group", group_size=5, match_any=("divide",), what="group_size 5 for n = 12")
    assert_raises_clearly(ValueError, impl.quantize_int8, x, "channel", match_any=("granularity",), what="granularity 'channel'")
    assert_raises_clearly(ValueError, impl.quantize_int8, np.ones((2, 3, 4), np.float32), "column", match_any=("2-d", "column"), what="'column' on a 3-D array")
    assert_raises_clearly(ValueError, impl.quantize_int8, np.zeros((0, 4), np.float32), "row", match_any=("empty",), what="an empty array")
    assert_raises_clearly(ValueError, impl.dequantize_int8, np.ones((2, 12), np.int8), np.ones((2, 5), np.float32), match_any=("divide", "shape", "fit"), what="a scale with 5 groups for n = 12")
