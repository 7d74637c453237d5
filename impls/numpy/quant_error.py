"""Quantization error analysis in NumPy (float64 throughout)."""

import numpy as np


def _pair(x, x_hat):
    x, x_hat = np.asarray(x, np.float64), np.asarray(x_hat, np.float64)
    if x.shape != x_hat.shape:
        raise ValueError(f"x has shape {x.shape} but x_hat has shape {x_hat.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(x_hat))):
        raise ValueError("x and x_hat must be finite (NaN or inf found)")
    return x, x_hat


def error_metrics(x, x_hat):
    x, x_hat = _pair(x, x_hat)
    err = x - x_hat
    noise, signal = float(np.sum(err * err)), float(np.sum(x * x))
    with np.errstate(divide="ignore", invalid="ignore"):
        nmse = noise / signal if signal > 0 else (0.0 if noise == 0 else np.inf)
        sqnr = np.inf if noise == 0 else (10 * np.log10(signal / noise) if signal > 0 else -np.inf)
    return {
        "max_abs_error": float(np.max(np.abs(err))) if err.size else 0.0,
        "mse": noise / err.size if err.size else 0.0,
        "nmse": float(nmse),
        "sqnr_db": float(sqnr),
    }


def dot_product_error(a, b, a_hat, b_hat):
    a, a_hat = _pair(a, a_hat)
    b, b_hat = _pair(b, b_hat)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a and b must be 1-D of one length, got {a.shape} and {b.shape}")
    return float(abs(a_hat @ b_hat - a @ b) / a.size)


def compression_ratio(n_weights, weight_bits, n_scales, scale_bits=32, zero_point_bits=0, original_bits=32):
    if n_weights <= 0:
        raise ValueError(f"n_weights must be positive, got {n_weights}")
    if min(weight_bits, n_scales, scale_bits, zero_point_bits) < 0:
        raise ValueError("bit widths and counts must be non-negative")
    bits = (n_weights * weight_bits + n_scales * (scale_bits + zero_point_bits)) / n_weights
    return float(bits), float(original_bits / bits)
