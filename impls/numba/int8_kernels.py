"""int8 x int8 -> int32 kernels as Numba loops with int32 accumulators (exact within INT8_MAX_K)."""

import numba
import numpy as np

from impls.simd_args import int8_gemm_args, int8_gemv_args, int8_operands, scales_args


@numba.njit(cache=True)
def _rows_dot(w, x, y):
    for i in range(w.shape[0]):
        acc = np.int32(0)
        for j in range(w.shape[1]):
            acc += np.int32(w[i, j]) * np.int32(x[j])
        y[i] = acc


@numba.njit(cache=True)
def _gemm(a, w, c):
    for i in range(a.shape[0]):
        _rows_dot(w, a[i], c[i])


def int8_dot(a, b):
    a, b = int8_operands(("a", a), ("b", b))
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} and b has shape {b.shape}; expected two vectors of one length")
    int8_operands(k=a.shape[0])
    y = np.empty(1, np.int32)
    _rows_dot(np.ascontiguousarray(a).reshape(1, -1), np.ascontiguousarray(b), y)
    return y[0]


def int8_gemv(w, x, out=None):
    w, x, out = int8_gemv_args(w, x, out)
    _rows_dot(np.ascontiguousarray(w), np.ascontiguousarray(x), out)
    return out


def int8_gemv_scaled(w, w_scales, x, x_scale, out=None):
    w, x, out = int8_gemv_args(w, x, out, np.float32)
    w_scales, x_scale = scales_args(w, w_scales, x_scale)
    acc = np.empty(w.shape[0], np.int32)
    _rows_dot(np.ascontiguousarray(w), np.ascontiguousarray(x), acc)
    np.multiply(acc.astype(np.float32), w_scales * x_scale, out=out)
    return out


def int8_gemm(a, w, out=None):
    a, w, out = int8_gemm_args(a, w, out)
    _gemm(np.ascontiguousarray(a), np.ascontiguousarray(w), out)
    return out
