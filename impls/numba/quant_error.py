"""Quantization error metrics with Numba: one pass, float64 accumulators."""

import numpy as np
from numba import njit

from impls.numpy.quant_error import _pair, compression_ratio  # noqa: F401  (pure arithmetic, no loop to write)


@njit(cache=True)
def _sums(x, x_hat):
    noise, signal, worst = 0.0, 0.0, 0.0
    for i in range(x.size):
        d = x[i] - x_hat[i]
        noise += d * d
        signal += x[i] * x[i]
        worst = max(worst, abs(d))
    return noise, signal, worst


@njit(cache=True)
def _dot(a, b):
    total = 0.0
    for i in range(a.size):
        total += a[i] * b[i]
    return total


def error_metrics(x, x_hat):
    x, x_hat = _pair(x, x_hat)
    noise, signal, worst = _sums(np.ascontiguousarray(x).ravel(), np.ascontiguousarray(x_hat).ravel())
    if signal > 0:
        nmse = noise / signal
        sqnr = np.inf if noise == 0 else 10 * np.log10(signal / noise)
    else:
        nmse, sqnr = (0.0, np.inf) if noise == 0 else (np.inf, -np.inf)
    return {"max_abs_error": float(worst), "mse": noise / x.size, "nmse": float(nmse), "sqnr_db": float(sqnr)}


def dot_product_error(a, b, a_hat, b_hat):
    a, a_hat = _pair(a, a_hat)
    b, b_hat = _pair(b, b_hat)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a and b must be 1-D of one length, got {a.shape} and {b.shape}")
    return float(abs(_dot(a_hat, b_hat) - _dot(a, b)) / a.size)
