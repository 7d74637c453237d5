"""INT8 kernels (roadmap Day 76-77, weeks 9-10): int8 x int8 -> int32, exact against an integer
reference, at every length and at the largest documented K with the largest products."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_raises_clearly
from aigc_bench.guarded import guarded_output

from .contract import INT8_MAX_K
from .kernel_checks import NMSE_LIMITS, addressed, assert_integers_exact, assert_nmse, check_guards, exact_matmul, f64, int8_values, laid_out, took_output

SKILL = "int8_kernels"
INT8_LAYOUTS = st.sampled_from(["contiguous", "offset", "strided", "guarded"])


@settings(max_examples=30, deadline=None)
@given(k=S.lengths(700), seed=st.integers(0, 2**32 - 1), layout=INT8_LAYOUTS, extreme=st.booleans())
@addressed
def test_int8_dot_exact(impl, k, seed, layout, extreme):
    rng = np.random.default_rng(seed)
    a, b = int8_values(rng, k, extreme), int8_values(rng, k, extreme)
    a_in, ga = laid_out(a, layout, "a")
    out = impl.int8_dot(a_in, b)
    check_guards(ga)
    assert np.asarray(out).dtype == np.int32, f"int8_dot returned {np.asarray(out).dtype}, expected int32"
    assert_integers_exact(np.asarray(out), exact_matmul(a, b), what="int8_dot")


@pytest.mark.parametrize("sign", [1, -1])
@addressed
def test_int8_dot_at_the_largest_k_does_not_overflow(impl, sign):
    """K = 131072 terms of 127 * (+-127): 2_114_060_288, just under 2^31."""
    a = np.full(INT8_MAX_K, 127, np.int8)
    b = np.full(INT8_MAX_K, 127 * sign, np.int8)
    assert_integers_exact(np.asarray(impl.int8_dot(a, b)), np.int64(INT8_MAX_K) * 127 * 127 * sign, what=f"int8_dot at K = {INT8_MAX_K}")


@settings(max_examples=25, deadline=None)
@given(m=S.lengths(40), k=S.lengths(400), seed=st.integers(0, 2**32 - 1), layout=INT8_LAYOUTS, extreme=st.booleans())
@addressed
def test_int8_gemv_exact(impl, m, k, seed, layout, extreme):
    rng = np.random.default_rng(seed)
    w, x = int8_values(rng, (m, k), extreme), int8_values(rng, k, extreme)
    w_in, gw = laid_out(w, layout, "W")
    y = guarded_output((m,), np.int32, name="y", misalign=4)
    took_output(impl.int8_gemv(w_in, x, out=y.array), y, "int8_gemv")
    check_guards(gw)
    assert_integers_exact(y.array, exact_matmul(w, x), what="int8_gemv")


@settings(max_examples=20, deadline=None)
@given(m=S.lengths(30), n=S.lengths(30), k=S.lengths(300), seed=st.integers(0, 2**32 - 1), layout=INT8_LAYOUTS)
@addressed
def test_int8_gemm_exact(impl, m, n, k, seed, layout):
    rng = np.random.default_rng(seed)
    a, w = int8_values(rng, (m, k)), int8_values(rng, (n, k))
    a_in, ga = laid_out(a, layout, "A")
    c = guarded_output((m, n), np.int32, name="C")
    took_output(impl.int8_gemm(a_in, w, out=c.array), c, "int8_gemm")
    check_guards(ga)
    assert_integers_exact(c.array, exact_matmul(a, w.T), what="int8_gemm")


@settings(max_examples=20, deadline=None)
@given(m=S.lengths(40), k=S.lengths(300), seed=st.integers(0, 2**32 - 1))
@addressed
def test_int8_gemv_scaled_matches_float64(impl, m, k, seed):
    rng = np.random.default_rng(seed)
    w, x = int8_values(rng, (m, k)), int8_values(rng, k)
    w_scales = rng.uniform(1e-3, 1e-2, m).astype(np.float32)
    x_scale = np.float32(rng.uniform(1e-3, 1e-1))
    y = guarded_output((m,), np.float32, name="y")
    took_output(impl.int8_gemv_scaled(w, w_scales, x, x_scale, out=y.array), y, "int8_gemv_scaled")
    ref = exact_matmul(w, x).astype(np.float64) * f64(w_scales).numpy() * float(x_scale)
    magnitude = (f64(w).abs() @ f64(x).abs()).numpy() * f64(w_scales).numpy() * float(x_scale)
    assert_nmse(y.array, ref, limit=NMSE_LIMITS["int8_gemv_scaled"], scale=magnitude, what="int8_gemv_scaled")


def test_int8_rejects_bad_input(impl):
    ok = np.ones(8, np.int8)
    bad = ok.copy()
    bad[5] = -128
    assert_raises_clearly(ValueError, impl.int8_dot, bad, ok, match_any=("-128",), what="a -128 operand")
    assert_raises_clearly(ValueError, impl.int8_gemv, np.ones((2, 8), np.int8), bad, match_any=("-128",), what="a -128 in x")
    assert_raises_clearly(TypeError, impl.int8_dot, ok.astype(np.int16), ok, match_any=("int16", "dtype"), what="int16 operands")
    assert_raises_clearly(ValueError, impl.int8_dot, ok, np.ones(9, np.int8), what="lengths 8 and 9")
    too_long = np.ones(INT8_MAX_K + 1, np.int8)
    assert_raises_clearly(ValueError, impl.int8_dot, too_long, too_long, match_any=("int8_max_k", "overflow", "131072"), what=f"K = {INT8_MAX_K + 1}")
    assert_raises_clearly(ValueError, impl.int8_gemm, np.ones((2, 8), np.int8), np.ones((3, 7), np.int8), what="A [2, 8] with W [3, 7]")
