"""INT4 (weeks 9-10, Day 77): two nibbles per byte (low nibble = even index, stored as q + 8)
and group-scaled dequantize-and-dot GEMV."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_exact, assert_raises_clearly
from aigc_bench.guarded import guarded_output

from .kernel_checks import NMSE_LIMITS, addressed, assert_nmse, check_guards, f64, laid_out, took_output

SKILL = "int4_kernels"


@addressed
def test_int4_nibble_order_is_documented_one(impl):
    # q = [1, 2]: stored nibbles 9 (element 0, low) and 10 (element 1, high) -> 0xA9
    assert_exact(impl.int4_pack(np.array([1, 2], np.int8)), np.array([0xA9], np.uint8), what="int4_pack([1, 2])")
    assert_exact(impl.int4_unpack(np.array([0xA9, 0x0F], np.uint8)), np.array([1, 2, 7, -8], np.int8), what="int4_unpack([0xA9, 0x0F])")


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 4), half=S.lengths(100), seed=st.integers(0, 2**32 - 1))
@addressed
def test_int4_pack_unpack_round_trip_exact(impl, rows, half, seed):
    q = np.random.default_rng(seed).integers(-8, 8, (rows, 2 * half)).astype(np.int8)
    packed = impl.int4_pack(q)
    assert packed.dtype == np.uint8 and packed.shape == (rows, half), f"int4_pack gave {packed.dtype} {packed.shape}"
    expected = ((q[:, 0::2].astype(np.int16) + 8) | ((q[:, 1::2].astype(np.int16) + 8) << 4)).astype(np.uint8)
    assert_exact(packed, expected, what="int4_pack")
    assert_exact(impl.int4_unpack(packed), q, what="int4_unpack(int4_pack(q))")


def _pack(q):
    return ((q[:, 0::2].astype(np.int16) + 8) | ((q[:, 1::2].astype(np.int16) + 8) << 4)).astype(np.uint8)


@st.composite
def int4_problem(draw, max_m=24):
    m = draw(S.lengths(max_m))
    group = draw(st.sampled_from([2, 8, 22, 32, 64, 128]))
    groups = draw(st.integers(1, max(1, 512 // group)))
    return m, group * groups, group, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=25, deadline=None)
@given(problem=int4_problem(), layout=st.sampled_from(["contiguous", "offset", "guarded"]))
@addressed
def test_int4_gemv_integer_math_is_exact(impl, problem, layout):
    """Unit scales and small integer x: every partial sum is an integer below 2^24, so float32 is exact."""
    m, k, group, seed = problem
    rng = np.random.default_rng(seed)
    q = rng.integers(-8, 8, (m, k))
    x = rng.integers(-3, 4, k).astype(np.float32)
    packed, gp = laid_out(_pack(q), layout, "packed")
    y = guarded_output((m,), np.float32, name="y", misalign=4)
    took_output(impl.int4_gemv(packed, np.ones((m, k // group), np.float32), x, group, out=y.array), y, "int4_gemv")
    check_guards(gp)
    assert_exact(y.array, (q @ x.astype(np.int64)).astype(np.float32), what="int4_gemv with unit scales")


@settings(max_examples=25, deadline=None)
@given(problem=int4_problem())
@addressed
def test_int4_gemv_matches_float64(impl, problem):
    m, k, group, seed = problem
    rng = np.random.default_rng(seed)
    q = rng.integers(-8, 8, (m, k))
    scales = rng.uniform(0.01, 0.1, (m, k // group)).astype(np.float32)
    x = rng.standard_normal(k).astype(np.float32)
    y = guarded_output((m,), np.float32, name="y")
    took_output(impl.int4_gemv(_pack(q), scales, x, group, out=y.array), y, "int4_gemv")
    w = f64(q) * f64(np.repeat(scales, group, axis=1))  # [m, k] dequantized
    assert_nmse(y.array, (w @ f64(x)).numpy(), limit=NMSE_LIMITS["int4_gemv"], scale=(w.abs() @ f64(x).abs()).numpy(), what="int4_gemv")


@pytest.mark.parametrize("group", [0, 3, 10])
def test_int4_gemv_rejects_bad_group_size(impl, group):
    packed = np.zeros((2, 8), np.uint8)  # k = 16
    assert_raises_clearly(ValueError, impl.int4_gemv, packed, np.ones((2, 2), np.float32), np.ones(16, np.float32), group, what=f"group_size {group} with k = 16")


def test_int4_pack_rejects_out_of_range(impl):
    assert_raises_clearly(ValueError, impl.int4_pack, np.array([8, 0], np.int8), match_any=("range", "[-8, 7]"), what="the value 8")
    assert_raises_clearly(ValueError, impl.int4_pack, np.array([1, 2, 3], np.int8), match_any=("even",), what="an odd length")
