"""Quantized matmul with Numba: int32 accumulation, and weight-only kernels that
dequantize on the fly (a group's partial sum is scaled once)."""

import numpy as np
from numba import njit

from impls.numpy.quantized_matmul import check_activations, check_int8_operands

from aigc_bench.quantization import scale_rows

from .quantize_int4 import unpack_rows


@njit(cache=True)
def int8_matmul_kernel(a, w):
    m, k = a.shape
    n = w.shape[0]
    out = np.empty((m, n), np.int32)
    for i in range(m):
        for j in range(n):
            acc = np.int32(0)
            for p in range(k):
                acc += np.int32(a[i, p]) * np.int32(w[j, p])
            out[i, j] = acc
    return out


@njit(cache=True)
def weight_only_kernel(x, codes, scales, zero_points):
    """x [m, k] float32, codes [n, k] integer, scales/zero_points [n, G] -> [m, n]."""
    m, k = x.shape
    n, groups = scales.shape
    width = k // groups
    out = np.empty((m, n), np.float32)
    for i in range(m):
        for j in range(n):
            total = np.float32(0.0)
            for gi in range(groups):
                partial = np.float32(0.0)
                zp = np.float32(zero_points[j, gi])
                for p in range(gi * width, (gi + 1) * width):
                    partial += x[i, p] * (np.float32(codes[j, p]) - zp)
                total += partial * scales[j, gi]
            out[i, j] = total
    return out


def int8_matmul(a_q, w_q):
    a_q, w_q = check_int8_operands(a_q, w_q)
    return int8_matmul_kernel(np.ascontiguousarray(a_q), np.ascontiguousarray(w_q))


def matmul_w8a8(a_q, a_scale, w_q, w_scale):
    acc = int8_matmul(a_q, w_q)
    a_scale = np.asarray(a_scale, np.float32).reshape(-1, 1)
    w_scale = np.asarray(w_scale, np.float32).reshape(1, -1)
    return (acc.astype(np.float32) * a_scale * w_scale).astype(np.float32)


def matmul_w8a16(x, w_q, w_scale):
    w_q = np.asarray(w_q)
    x = np.ascontiguousarray(check_activations(x, w_q.shape[1]))
    scales = scale_rows(w_q.shape, w_scale)
    return weight_only_kernel(x, np.ascontiguousarray(w_q), scales, np.zeros(scales.shape, np.int32))


def matmul_w4a16(x, w_packed, w_scale, w_zero_point=None):
    w_packed = np.ascontiguousarray(w_packed)
    if w_packed.dtype != np.uint8 or w_packed.ndim != 2:
        raise ValueError(f"w_packed must be a 2-D uint8 array, got {w_packed.dtype} of shape {w_packed.shape}")
    shape = (w_packed.shape[0], 2 * w_packed.shape[1])
    x = np.ascontiguousarray(check_activations(x, shape[1]))
    scales = scale_rows(shape, w_scale)
    if w_zero_point is None:
        zero_points = np.full(scales.shape, 8, np.int32)
    else:
        zero_points = scale_rows(shape, w_zero_point, "zero_point", np.int32)
    return weight_only_kernel(x, unpack_rows(w_packed), scales, zero_points)
