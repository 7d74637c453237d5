"""fp32 GEMV (roadmap Day 73): y = A x over awkward shapes, layouts, unaligned and guarded buffers."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_raises_clearly
from aigc_bench.guarded import guarded_output

from .kernel_checks import NMSE_LIMITS, assert_nmse, check_guards, f64, laid_out, layouts, run_check, took_output

SKILL = "gemv"


def check_gemv(impl, a, x, a_layout="contiguous", x_layout="contiguous", misalign=0):
    a_in, ga = laid_out(a, a_layout, "A")
    x_in, gx = laid_out(x, x_layout, "x")
    y = guarded_output((a.shape[0],), np.float32, name="y", misalign=misalign)
    took_output(impl.gemv(a_in, x_in, out=y.array), y, "gemv")
    check_guards(ga, gx)
    ref = (f64(a) @ f64(x)).numpy()
    magnitude = (f64(a).abs() @ f64(x).abs()).numpy()
    k = a.shape[1]
    assert_nmse(y.array, ref, limit=NMSE_LIMITS["gemv"], scale=magnitude, inputs=(x,),
                truncated=lambda j: (f64(a[:, :j]) @ f64(x[:j])).numpy(), k=k, what="gemv")


@settings(max_examples=30, deadline=None)
@given(m=S.lengths(80), k=S.lengths(300), seed=st.integers(0, 2**32 - 1),
       a_layout=layouts(), x_layout=layouts(), misalign=st.sampled_from([0, 4, 12]))
def test_gemv_matches_torch_float64(impl, m, k, seed, a_layout, x_layout, misalign):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(np.float32)
    x = rng.uniform(0.5, 1.5, k).astype(np.float32)
    run_check(impl, check_gemv, a, x, a_layout, x_layout, misalign)


def test_gemv_without_out_returns_new_array(impl, rng):
    a = rng.standard_normal((5, 19)).astype(np.float32)
    x = rng.standard_normal(19).astype(np.float32)
    y = impl.gemv(a, x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (5,)
    assert_nmse(y, (f64(a) @ f64(x)).numpy(), limit=NMSE_LIMITS["gemv"], scale=(f64(a).abs() @ f64(x).abs()).numpy())


def test_gemv_rejects_bad_input(impl):
    a = np.ones((3, 4), np.float32)
    assert_raises_clearly(ValueError, impl.gemv, a, np.ones(5, np.float32), what="x of the wrong length")
    assert_raises_clearly(TypeError, impl.gemv, a.astype(np.float64), np.ones(4), what="float64 inputs")
    assert_raises_clearly(ValueError, impl.gemv, a, np.ones(4, np.float32), out=np.empty(4, np.float32), what="out of the wrong shape")
