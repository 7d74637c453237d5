"""Softmax and its gradient as explicit Numba loops over contiguous rows.

Any axis and layout is first moved into [rows, n] (impls/kernel_inputs.py);
each row is then three passes: the maximum, exp(x - max) with its sum, and the
division. Sums are kept in float64 whatever the input dtype, so float32 results
are as accurate as rounding the float64 answer allows.
"""

import math

import numpy as np
from numba import njit

from ..kernel_inputs import as_rows, float_array, from_rows


@njit(cache=True)
def _softmax_rows(x, out):
    # x, out: [rows, n]
    for r in range(x.shape[0]):
        row_max = -np.inf
        for j in range(x.shape[1]):
            row_max = max(row_max, np.float64(x[r, j]))  # subtract it: exp cannot overflow
        total = 0.0
        for j in range(x.shape[1]):
            e = math.exp(np.float64(x[r, j]) - row_max)
            out[r, j] = e
            total += e
        inv = 1.0 / total
        for j in range(x.shape[1]):
            out[r, j] = out[r, j] * inv


@njit(cache=True)
def _softmax_backward_rows(y, grad_y, out):
    # y, grad_y, out: [rows, n];  dL/dx = y * (dL/dy - <dL/dy, y>)
    for r in range(y.shape[0]):
        dot = 0.0
        for j in range(y.shape[1]):
            dot += np.float64(grad_y[r, j]) * y[r, j]
        for j in range(y.shape[1]):
            out[r, j] = y[r, j] * (grad_y[r, j] - dot)


def softmax(x, axis=-1):
    x = float_array(x, "x")
    rows, moved_shape = as_rows(x, axis)  # [rows, n]
    out = np.empty_like(rows)
    if rows.size:
        _softmax_rows(rows, out)
    return from_rows(out, moved_shape, axis)


def softmax_backward(y, grad_y, axis=-1):
    y, grad_y = float_array(y, "y"), float_array(grad_y, "grad_y")
    if y.shape != grad_y.shape:
        raise ValueError(f"y has shape {y.shape} but grad_y has shape {grad_y.shape}")
    y_rows, moved_shape = as_rows(y, axis)
    g_rows, _ = as_rows(grad_y.astype(y.dtype, copy=False), axis)
    out = np.empty_like(y_rows)
    if y_rows.size:
        _softmax_backward_rows(y_rows, g_rows, out)
    return from_rows(out, moved_shape, axis)
