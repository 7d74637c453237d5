"""Aligned allocation (roadmap Day 76): buffers NumPy can view whose address is a multiple of
32/64 bytes, and the same sum with aligned and unaligned loads."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_raises_clearly, fail
from aigc_bench.guarded import assert_alignment_safe, call_or_fail

from .kernel_checks import NMSE_LIMITS, addressed, assert_nmse, f64

SKILL = "aligned"


@pytest.mark.parametrize("alignment", [32, 64, 4096])
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (1000,)])
@addressed
def test_aligned_empty_is_aligned_and_usable(impl, alignment, shape):
    buffers = [impl.aligned_empty(shape, "float32", alignment) for _ in range(4)]  # more than one: not aligned by luck
    for a in buffers:
        if not isinstance(a, np.ndarray) or a.shape != shape or a.dtype != np.float32 or not a.flags.c_contiguous:
            fail(f"aligned_empty({shape}, float32, {alignment}) must return a C-contiguous float32 array of that shape; got {a!r:.80}")
        if a.ctypes.data % alignment:
            fail(f"aligned_empty(..., alignment={alignment}) returned an address {a.ctypes.data % alignment} bytes past an {alignment}-byte boundary")
        a[...] = np.arange(a.size, dtype=np.float32).reshape(shape)  # writable, the whole of it
    for a in buffers:
        assert np.array_equal(a.reshape(-1), np.arange(a.size, dtype=np.float32)), "aligned buffers overlap"


@addressed
def test_aligned_empty_other_dtypes(impl):
    a = impl.aligned_empty((4, 3), np.int8, 32)
    assert a.dtype == np.int8 and a.shape == (4, 3) and a.ctypes.data % 32 == 0


@addressed
def test_aligned_empty_rejects_bad_alignment(impl):
    assert_raises_clearly(ValueError, impl.aligned_empty, (4,), "float32", 24, match_any=("power", "alignment"), what="alignment 24")


@settings(max_examples=25, deadline=None)
@given(n=S.lengths(700), seed=st.integers(0, 2**32 - 1))
@addressed
def test_sums_match_torch_float64(impl, n, seed):
    values = np.random.default_rng(seed).uniform(0.5, 1.5, n).astype(np.float32)
    aligned = impl.aligned_empty((n,), "float32", 32)
    aligned[:] = values
    unaligned = S.with_layout(values, "offset")  # 4 bytes past wherever NumPy put it
    ref = np.float64(f64(values).sum())
    for name, fn, x in (("sum_aligned", impl.sum_aligned, aligned), ("sum_unaligned", impl.sum_unaligned, unaligned)):
        out = fn(x)
        assert np.asarray(out).dtype == np.float32, f"{name} returned {np.asarray(out).dtype}"
        assert_nmse(np.asarray(out), ref, limit=NMSE_LIMITS["sum"], truncated=lambda j: np.float64(f64(values[:j]).sum()), k=n, what=name)


@addressed
def test_sum_aligned_rejects_an_unaligned_address(impl):
    """An aligned load on an unaligned address faults: the function must refuse it first.
    Run in a forked child, so that a kernel which faults fails this test, not the whole run."""
    buffer = np.zeros(65, np.float32)
    start = (-buffer.ctypes.data % 32) // 4  # first 32-byte aligned element
    x = buffer[start + 1 : start + 33]  # 4 bytes past the boundary
    call_or_fail(
        assert_raises_clearly, ValueError, impl.sum_aligned, x, match_any=("align",),
        what="sum_aligned on a vector 4 bytes past a 32-byte boundary",
        hint="an aligned load on an unaligned address: check the alignment before loading",
    )


@addressed
def test_sum_unaligned_survives_every_alignment(impl, rng):
    values = rng.uniform(0.5, 1.5, 37).astype(np.float32)
    for misalign in (4, 8, 28):
        first, second = assert_alignment_safe(impl.sum_unaligned, values, misalign=misalign, what="sum_unaligned")
        for out in (first, second):
            assert_nmse(np.asarray(out), np.float64(f64(values).sum()), limit=NMSE_LIMITS["sum"], what="sum_unaligned")
