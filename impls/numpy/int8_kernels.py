"""int8 x int8 -> int32 kernels in NumPy: widen to int32 and use NumPy's (exact) integer matmul."""

import numpy as np

from impls.simd_args import int8_gemm_args, int8_gemv_args, int8_operands, scales_args


def int8_dot(a, b):
    a, b = int8_operands(("a", a), ("b", b))
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} and b has shape {b.shape}; expected two vectors of one length")
    int8_operands(k=a.shape[0])
    return np.int32(np.dot(a.astype(np.int32), b.astype(np.int32)))


def int8_gemv(w, x, out=None):
    w, x, out = int8_gemv_args(w, x, out)  # [m, k], [k], [m]
    np.matmul(w.astype(np.int32), x.astype(np.int32), out=out)
    return out


def int8_gemv_scaled(w, w_scales, x, x_scale, out=None):
    w, x, out = int8_gemv_args(w, x, out, np.float32)
    w_scales, x_scale = scales_args(w, w_scales, x_scale)
    acc = np.matmul(w.astype(np.int32), x.astype(np.int32))  # [m] exact int32
    np.multiply(acc.astype(np.float32), w_scales * x_scale, out=out)
    return out


def int8_gemm(a, w, out=None):
    a, w, out = int8_gemm_args(a, w, out)  # [m, k], [n, k], [m, n]
    np.matmul(a.astype(np.int32), w.astype(np.int32).T, out=out)
    return out
