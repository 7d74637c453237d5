"""Positional encodings as explicit Numba loops.

RoPE: x is flattened to [rows, L, D] (C-contiguous); for every row, position and
pair the angle is position * base**(-2i/D), computed in float64 once per
(position, pair) and reused across rows, the way a fused kernel would keep a
cos/sin table in cache. Compiled eagerly at import for float32 and float64 (a
JIT compile inside a guarded call would run library code under the reference guard)."""

import math

import numpy as np
from numba import njit

from ..kernel_inputs import float_array
from ..numpy.positional import check_rope_inputs

_ROPE_SIGNATURES = [f"void({t}[:, :, ::1], float64[:, ::1], float64[:, ::1], boolean, {t}[:, :, ::1])" for t in ("float32", "float64")]


@njit("void(float64[:, ::1], float64)", cache=True)
def _sinusoidal_table(out, base):
    n, d = out.shape
    for j in range(d):
        frequency = base ** (-2.0 * (j // 2) / d)
        for p in range(n):
            angle = p * frequency
            out[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)


@njit("void(int64[::1], float64, float64[:, ::1], float64[:, ::1])", cache=True)
def _rope_table(positions, base, cos, sin):
    # cos, sin: [L, D/2]
    half = cos.shape[1]
    for i in range(half):
        frequency = base ** (-2.0 * i / (2 * half))
        for l in range(positions.shape[0]):
            angle = positions[l] * frequency
            cos[l, i] = math.cos(angle)
            sin[l, i] = math.sin(angle)


@njit(_ROPE_SIGNATURES, cache=True)
def _rope_rows(x, cos, sin, interleaved, out):
    # x, out: [rows, L, D]; pair i is (i, i + D/2), or (2i, 2i + 1) when interleaved
    half = cos.shape[1]
    for r in range(x.shape[0]):
        for l in range(x.shape[1]):
            for i in range(half):
                first, second = (2 * i, 2 * i + 1) if interleaved else (i, i + half)
                a, b = np.float64(x[r, l, first]), np.float64(x[r, l, second])
                out[r, l, first] = a * cos[l, i] - b * sin[l, i]
                out[r, l, second] = a * sin[l, i] + b * cos[l, i]


def sinusoidal_encoding(n_positions, d_model, base=10000.0):
    if n_positions < 1 or d_model < 1:
        raise ValueError(f"need n_positions >= 1 and d_model >= 1, got {n_positions} and {d_model}")
    if not base > 1:
        raise ValueError(f"the frequency base must be > 1, got {base}")
    out = np.empty((n_positions, d_model))
    _sinusoidal_table(out, float(base))
    return out


def apply_rope(x, positions=None, base=10000.0, interleaved=False):
    x = float_array(x, "x")
    positions = np.ascontiguousarray(check_rope_inputs(x, positions), dtype=np.int64)
    length, head_dim = x.shape[-2], x.shape[-1]
    rows = np.ascontiguousarray(x).reshape(-1, length, head_dim)  # [rows, L, D]
    cos, sin = np.empty((length, head_dim // 2)), np.empty((length, head_dim // 2))
    _rope_table(positions, float(base), cos, sin)
    out = np.empty_like(rows)
    if rows.size:
        _rope_rows(rows, cos, sin, bool(interleaved), out)
    return out.reshape(x.shape)
