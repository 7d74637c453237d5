"""LayerNorm and RMSNorm as explicit Numba loops over contiguous rows.

Each row: a float64 pass for the mean, a second for the (biased) variance of
x - mean (never E[x^2] - E[x]^2, which cancels catastrophically in float32),
then one pass writing the normalised, scaled and shifted values."""

import math

import numpy as np
from numba import njit

# Compiled eagerly, at import, for the two dtypes: a JIT compile inside a guarded
# call would run library code (numba's and, through import hooks, transformers')
# while the reference guard is watching.
_ROWS = ("float32[:, ::1]", "float64[:, ::1]")
_LAYER_NORM_SIGNATURES = [f"void({rows}, float64[::1], float64[::1], float64, {rows})" for rows in _ROWS]
_RMS_NORM_SIGNATURES = [f"void({rows}, float64[::1], float64, {rows})" for rows in _ROWS]

from ..kernel_inputs import as_rows, float_array, from_rows
from ..numpy.norms import check_param


@njit(_LAYER_NORM_SIGNATURES, cache=True)
def _layer_norm_rows(x, weight, bias, eps, out):
    # x, out: [rows, d]; weight, bias: [d]
    d = x.shape[1]
    for r in range(x.shape[0]):
        mean = 0.0
        for j in range(d):
            mean += np.float64(x[r, j])
        mean /= d
        var = 0.0
        for j in range(d):
            centred = np.float64(x[r, j]) - mean
            var += centred * centred
        inv_std = 1.0 / math.sqrt(var / d + eps)
        for j in range(d):
            out[r, j] = (np.float64(x[r, j]) - mean) * inv_std * weight[j] + bias[j]


@njit(_RMS_NORM_SIGNATURES, cache=True)
def _rms_norm_rows(x, weight, eps, out):
    d = x.shape[1]
    for r in range(x.shape[0]):
        squares = 0.0
        for j in range(d):
            squares += np.float64(x[r, j]) * np.float64(x[r, j])
        inv_rms = 1.0 / math.sqrt(squares / d + eps)
        for j in range(d):
            out[r, j] = np.float64(x[r, j]) * inv_rms * weight[j]


def _param(param, d, default):
    """A float64 [d] parameter (weights are applied in float64 like the sums)."""
    return np.full(d, default) if param is None else np.ascontiguousarray(param, dtype=np.float64)


def layer_norm(x, weight=None, bias=None, eps=1e-5):
    x = float_array(x, "x")
    check_param(weight, x, "weight")
    check_param(bias, x, "bias")
    rows, shape = as_rows(x, -1)  # [rows, d]
    out = np.empty_like(rows)
    if rows.size:
        _layer_norm_rows(rows, _param(weight, x.shape[-1], 1.0), _param(bias, x.shape[-1], 0.0), float(eps), out)
    return from_rows(out, shape, -1)


def rms_norm(x, weight=None, eps=1e-6):
    x = float_array(x, "x")
    check_param(weight, x, "weight")
    rows, shape = as_rows(x, -1)
    out = np.empty_like(rows)
    if rows.size:
        _rms_norm_rows(rows, _param(weight, x.shape[-1], 1.0), float(eps), out)
    return from_rows(out, shape, -1)
