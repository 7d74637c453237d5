"""dot_avx2 (roadmap Day 71-72): fp32 dot product over awkward lengths, layouts and addresses."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_raises_clearly

from .kernel_checks import NMSE_LIMITS, assert_nmse, check_guards, f64, laid_out, layouts, run_check

SKILL = "dot"


def check_dot(impl, x, y, x_layout="contiguous", y_layout="contiguous"):
    xs, gx = laid_out(x, x_layout, "x")
    ys, gy = laid_out(y, y_layout, "y")
    out = impl.dot(xs, ys)
    check_guards(gx, gy)
    assert np.asarray(out).dtype == np.float32, f"dot returned {np.asarray(out).dtype}, expected float32"
    ref = float(f64(x) @ f64(y))
    magnitude = float((f64(x) * f64(y)).abs().sum())  # sum |x_i y_i|: no cancellation in the scale
    assert_nmse(
        np.asarray(out), np.float64(ref), limit=NMSE_LIMITS["dot"], scale=np.float64(magnitude),
        truncated=lambda j: float(f64(x[:j]) @ f64(y[:j])), k=x.shape[0], what="dot",
    )


@settings(max_examples=40, deadline=None)
@given(n=S.lengths(600), seed=st.integers(0, 2**32 - 1), x_layout=layouts(), y_layout=layouts())
def test_dot_matches_torch_float64(impl, n, seed, x_layout, y_layout):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.uniform(0.5, 1.5, n).astype(np.float32)  # positive y: every term counts, no cancellation
    run_check(impl, check_dot, x, y, x_layout, y_layout)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 31, 33, 63, 65, 127, 1021, 4099])
def test_dot_every_tail_length(impl, n):
    """Lengths one below/above the vector widths: the tail loop must count every element."""
    x = np.arange(1, n + 1, dtype=np.float32) / n
    run_check(impl, check_dot, x, np.ones(n, np.float32), "offset", "guarded")


def test_dot_rejects_bad_input(impl):
    assert_raises_clearly(ValueError, impl.dot, np.ones(3, np.float32), np.ones(4, np.float32), what="vectors of different lengths")
    assert_raises_clearly(TypeError, impl.dot, np.ones(3), np.ones(3), match_any=("float64", "dtype"), what="float64 vectors")
    assert_raises_clearly(ValueError, impl.dot, np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), what="a matrix")
