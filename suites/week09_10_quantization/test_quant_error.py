"""Quantization error analysis: the metrics against their float64 formulas."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_raises_clearly, fail

SKILL = "quant_error"


def _expected(x, x_hat):
    x, x_hat = x.astype(np.float64), x_hat.astype(np.float64)
    noise, signal = np.sum((x - x_hat) ** 2), np.sum(x * x)
    return {
        "max_abs_error": np.max(np.abs(x - x_hat)),
        "mse": noise / x.size,
        "nmse": noise / signal,
        "sqnr_db": 10 * np.log10(signal / noise),
    }


@settings(max_examples=25, deadline=None)
@given(x=S.arrays(st.tuples(S.lengths(20), S.lengths(64))), noise=st.sampled_from([1e-4, 1e-2, 0.5]), seed=st.integers(0, 2**32 - 1))
def test_error_metrics_match_formulas(impl, x, noise, seed):
    x_hat = (x + np.random.default_rng(seed).standard_normal(x.shape) * noise * np.abs(x).max()).astype(x.dtype)
    got = impl.error_metrics(x, x_hat)
    want = _expected(x, x_hat)
    for key, value in want.items():
        if key not in got:
            fail(f"error_metrics must return {key!r} (got keys {sorted(got)})")
        if not math.isclose(got[key], value, rel_tol=1e-9, abs_tol=1e-12):
            fail(f"{key} = {got[key]!r}, expected {value!r} (see the formula in the contract)")


def test_exact_copy_has_infinite_sqnr_and_zero_error(impl):
    x = np.linspace(-1, 1, 50, dtype=np.float32)
    got = impl.error_metrics(x, x.copy())
    if not (got["sqnr_db"] == math.inf and got["mse"] == 0 and got["nmse"] == 0 and got["max_abs_error"] == 0):
        fail(f"an exact copy must give sqnr_db = inf and zero errors, got {got}")


def test_sqnr_of_uniform_noise_is_about_6_db_per_bit(impl, rng):
    # uniform x in [-1, 1] quantized with b bits: SQNR ~ 6.02 b dB (a textbook check of the units)
    x = rng.uniform(-1, 1, 200_000)
    for bits in (4, 8):
        step = 2 / (2**bits)
        x_hat = (np.floor(x / step) + 0.5) * step
        sqnr = impl.error_metrics(x, x_hat)["sqnr_db"]
        if abs(sqnr - 6.02 * bits) > 0.2:
            fail(f"a {bits}-bit uniform quantizer has SQNR {sqnr:.2f} dB, expected ~{6.02 * bits:.1f} dB (10 log10 of power ratios)")


def test_dot_product_error_formula(impl, rng):
    a, b = rng.standard_normal(4096), rng.standard_normal(4096)
    a_hat, b_hat = a + 1e-3, b - 2e-3
    expected = abs(a_hat @ b_hat - a @ b) / 4096
    got = impl.dot_product_error(a, b, a_hat, b_hat)
    if not math.isclose(got, expected, rel_tol=1e-9):
        fail(f"dot_product_error = {got!r}, expected |a_hat.b_hat - a.b| / n = {expected!r}")


@pytest.mark.parametrize(
    "args, bits, ratio",
    [
        ((4096 * 4096, 8, 4096), 8 + 32 / 4096, None),  # INT8 per output channel of a 4096 x 4096 matrix
        ((1 << 20, 4, (1 << 20) // 32), 5.0, 6.4),  # INT4 g32 with float32 scales: 4 + 32/32 bits
        ((1 << 20, 4, (1 << 20) // 128, 16, 8), 4 + 24 / 128, None),  # INT4 g128, fp16 scales, 8-bit zero points
    ],
)
def test_compression_ratio_counts_the_scales(impl, args, bits, ratio):
    got_bits, got_ratio = impl.compression_ratio(*args)
    if not math.isclose(got_bits, bits, rel_tol=1e-12) or not math.isclose(got_ratio, ratio or 32 / bits, rel_tol=1e-12):
        fail(f"compression_ratio{args} = ({got_bits}, {got_ratio}), expected ({bits}, {ratio or 32 / bits}) bits per weight / ratio")


def test_bad_input_raises(impl):
    assert_raises_clearly(ValueError, impl.error_metrics, np.ones(3), np.ones(4), match_any=("shape",), what="x and x_hat of different shapes")
    assert_raises_clearly(ValueError, impl.error_metrics, np.ones(3), np.array([1, np.nan, 1]), match_any=("nan", "finite"), what="x_hat with NaN")
    assert_raises_clearly(ValueError, impl.compression_ratio, 0, 8, 1, match_any=("n_weights", "positive"), what="zero weights")
