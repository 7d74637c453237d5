"""matmul_avx2 (roadmap Day 74-75): C = A @ B over awkward shapes (edge tiles), layouts and guarded C."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_raises_clearly
from aigc_bench.guarded import guarded_output

from .kernel_checks import NMSE_LIMITS, assert_nmse, check_guards, f64, laid_out, layouts, run_check, took_output

SKILL = "gemm"


def check_matmul(impl, a, b, a_layout="contiguous", b_layout="contiguous", misalign=0):
    a_in, ga = laid_out(a, a_layout, "A")
    b_in, gb = laid_out(b, b_layout, "B")
    c = guarded_output((a.shape[0], b.shape[1]), np.float32, name="C", misalign=misalign)
    took_output(impl.matmul(a_in, b_in, out=c.array), c, "matmul")
    check_guards(ga, gb)
    ref = (f64(a) @ f64(b)).numpy()
    magnitude = (f64(a).abs() @ f64(b).abs()).numpy()
    assert_nmse(c.array, ref, limit=NMSE_LIMITS["matmul"], scale=magnitude, inputs=(a, b),
                truncated=lambda j: (f64(a[:, :j]) @ f64(b[:j])).numpy(), k=a.shape[1], what="C")


@settings(max_examples=30, deadline=None)
@given(m=S.lengths(70), k=S.lengths(300), n=S.lengths(70), seed=st.integers(0, 2**32 - 1),
       a_layout=layouts(), b_layout=layouts(), misalign=st.sampled_from([0, 4, 28]))
def test_matmul_matches_torch_float64(impl, m, k, n, seed, a_layout, b_layout, misalign):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.uniform(0.5, 1.5, (k, n)).astype(np.float32)
    run_check(impl, check_matmul, a, b, a_layout, b_layout, misalign)


def test_matmul_crosses_cache_blocks(impl, rng):
    """Past one KC (256) x MC (144) block and a partial last tile in every dimension."""
    a = rng.standard_normal((151, 517)).astype(np.float32)
    b = rng.standard_normal((517, 45)).astype(np.float32)
    run_check(impl, check_matmul, a, b, "fortran", "strided")


def test_matmul_empty_inner_dimension_gives_zeros(impl):
    run_check(impl, check_empty_inner_dimension)


def check_empty_inner_dimension(impl):
    c = guarded_output((3, 2), np.float32, name="C")
    took_output(impl.matmul(np.ones((3, 0), np.float32), np.ones((0, 2), np.float32), out=c.array), c, "matmul")
    assert np.array_equal(c.array, np.zeros((3, 2), np.float32)), f"A @ B with k = 0 must be zeros, got {c.array}"


def test_matmul_rejects_bad_input(impl):
    a = np.ones((3, 4), np.float32)
    assert_raises_clearly(ValueError, impl.matmul, a, np.ones((5, 2), np.float32), match_any=("inner", "shape"), what="mismatched inner dimensions")
    assert_raises_clearly(TypeError, impl.matmul, a.astype(np.float64), np.ones((4, 2)), what="float64 inputs")
    assert_raises_clearly(ValueError, impl.matmul, a, np.ones((4, 2), np.float32), out=np.empty((2, 3), np.float32), what="out of the wrong shape")
