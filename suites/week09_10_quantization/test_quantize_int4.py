"""INT4 group quantization with packing (roadmap Day 66-67)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_exact, assert_raises_clearly, fail

from .quant_checks import assert_round_trip, full_scale, quantizer_inputs

SKILL = "quantize_int4"


def test_pack_then_unpack_is_identity_for_every_pair(impl):
    codes = np.array([[a, b] for a in range(16) for b in range(16)], np.uint8)  # all 256 (low, high) pairs
    packed = impl.pack_int4(codes)
    if packed.shape != (256, 1) or packed.dtype != np.uint8:
        fail(f"pack_int4 of [256, 2] codes must be uint8 [256, 1], got {packed.dtype} {packed.shape}")
    assert_exact(impl.unpack_int4(packed), codes, what="unpack_int4(pack_int4(q))")
    assert_exact(np.sort(packed.ravel()), np.arange(256, dtype=np.uint8), what="the 256 packed bytes (each pair must give a distinct byte)")


def test_nibble_order_low_first(impl):
    packed = impl.pack_int4(np.array([1, 2, 15, 0], np.uint8))
    if packed.tolist() != [0x21, 0x0F]:
        fail(f"pack_int4([1, 2, 15, 0]) gave {[hex(b) for b in packed.tolist()]}, expected ['0x21', '0xf']: element 2i goes "
             "in the LOW nibble and 2i+1 in the high one (swapped nibble order?)")
    assert_exact(impl.unpack_int4(np.array([0x21, 0xF0], np.uint8)), np.array([1, 2, 0, 15], np.uint8), what="unpack_int4([0x21, 0xf0])")


@settings(max_examples=20, deadline=None)
@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 40).map(lambda h: 2 * h)), seed=st.integers(0, 2**32 - 1))
def test_pack_unpack_round_trip_any_shape(impl, shape, seed):
    codes = np.random.default_rng(seed).integers(0, 16, shape).astype(np.uint8)
    packed = impl.pack_int4(codes)
    assert packed.shape == shape[:-1] + (shape[-1] // 2,), f"packed shape {packed.shape} for codes {shape}"
    assert_exact(impl.unpack_int4(packed), codes, what="unpack_int4(pack_int4(q))")


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "asymmetric"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_round_trip_within_half_a_step(impl, symmetric, data):
    x, g = data.draw(quantizer_inputs("group", group_sizes=(2, 8, 32, 64, 128)), label="x, group_size")
    packed, scale, zero_point = impl.quantize_int4(x, group_size=g, symmetric=symmetric)
    n = x.shape[-1]
    if packed.dtype != np.uint8 or packed.shape != x.shape[:-1] + (n // 2,):
        fail(f"packed must be uint8 {x.shape[:-1] + (n // 2,)}, got {packed.dtype} {packed.shape}")
    if scale.dtype != np.float32 or scale.shape != x.shape[:-1] + (n // g,):
        fail(f"scale must be float32 {x.shape[:-1] + (n // g,)}, got {scale.dtype} {scale.shape}")
    if symmetric != (zero_point is None):
        fail("zero_point must be None exactly when symmetric")
    codes = impl.unpack_int4(packed)
    per_element, zp = full_scale(x.shape, scale, zero_point)
    assert_round_trip(x, impl.dequantize_int4(packed, scale, zero_point), per_element, what=f"INT4 g{g} {'symmetric' if symmetric else 'asymmetric'}")
    if symmetric:
        if codes.min() < 1:
            fail(f"symmetric INT4 stores q + 8 with q in [-7, 7]; got nibble {codes.min()}")
        assert np.all(codes[x == 0] == 8), "zero must be stored as nibble 8 (q = 0) in symmetric INT4"
    elif not np.all(codes[x == 0] == zp[x == 0]):
        fail("0.0 must quantize exactly to the zero point in asymmetric INT4")


def test_all_zero_group_does_not_divide_by_zero(impl):
    x = np.zeros((2, 64), np.float32)
    x[1, 32:] = np.linspace(-1, 1, 32)  # one non-zero group among zero ones
    for symmetric in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            packed, scale, zp = impl.quantize_int4(x, group_size=32, symmetric=symmetric)
            out = impl.dequantize_int4(packed, scale, zp)
        if not np.all(np.isfinite(out)) or np.any(out[x == 0] != 0):
            fail(f"all-zero groups must come back as zeros ({'symmetric' if symmetric else 'asymmetric'}), got {out[0, :4]}")


def test_bad_input_raises(impl):
    x = np.ones((2, 64), np.float32)
    assert_raises_clearly(ValueError, impl.quantize_int4, x, group_size=48, match_any=("divide",), what="group_size 48 for n = 64")
    assert_raises_clearly(ValueError, impl.quantize_int4, np.ones((2, 63), np.float32), group_size=9, match_any=("odd", "even"), what="an odd group size")
    bad = x.copy()
    bad[0, 0] = np.nan
    assert_raises_clearly(ValueError, impl.quantize_int4, bad, group_size=32, match_any=("nan", "finite"), what="x containing NaN")
    assert_raises_clearly(ValueError, impl.pack_int4, np.array([1, 2, 3], np.uint8), match_any=("even", "odd"), what="an odd number of codes")
    assert_raises_clearly(ValueError, impl.pack_int4, np.array([1, 16], np.uint8), match_any=("0..15", "4-bit", "range"), what="a code of 16")
