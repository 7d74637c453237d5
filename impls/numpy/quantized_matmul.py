"""Quantized matrix multiplication in NumPy (roadmap Day 68).

Weights use nn.Linear's layout W [n, k]; every product is x @ W.T."""

import numpy as np

from .quantize_int4 import dequantize_int4
from .quantize_int8 import dequantize_int8


def check_int8_operands(a_q, w_q):
    a_q, w_q = np.asarray(a_q), np.asarray(w_q)
    for name, arr in (("a_q", a_q), ("w_q", w_q)):
        if arr.dtype != np.int8 or arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D int8 array, got {arr.dtype} of shape {arr.shape}")
        if arr.size and arr.min() == -128:
            raise ValueError(f"{name} contains -128: symmetric INT8 codes lie in [-127, 127]")
    if a_q.shape[1] != w_q.shape[1]:
        raise ValueError(f"a_q is [m, {a_q.shape[1]}] but w_q is [n, {w_q.shape[1]}]: the k dimensions differ")
    return a_q, w_q


def check_activations(x, k):
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != k:
        raise ValueError(f"x must be [m, {k}] to match the weight, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf")
    return x.astype(np.float32, copy=False)


def int8_matmul(a_q, w_q):
    a_q, w_q = check_int8_operands(a_q, w_q)
    # widen before multiplying: int8 * int8 overflows int8, the sum needs int32
    return a_q.astype(np.int32) @ w_q.astype(np.int32).T  # [m, n]


def matmul_w8a8(a_q, a_scale, w_q, w_scale):
    acc = int8_matmul(a_q, w_q)  # [m, n] exact
    a_scale = np.asarray(a_scale, np.float32).reshape(-1, 1)  # [m, 1] per token
    w_scale = np.asarray(w_scale, np.float32).reshape(1, -1)  # [1, n] per output channel
    return (acc.astype(np.float32) * a_scale * w_scale).astype(np.float32)


def matmul_w8a16(x, w_q, w_scale):
    w_q = np.asarray(w_q)
    x = check_activations(x, w_q.shape[1])
    w = dequantize_int8(w_q, w_scale)  # [n, k] float32
    return (x @ w.T).astype(np.float32)


def matmul_w4a16(x, w_packed, w_scale, w_zero_point=None):
    w_packed = np.asarray(w_packed)
    x = check_activations(x, 2 * w_packed.shape[1])
    w = dequantize_int4(w_packed, w_scale, w_zero_point)  # [n, k] float32
    return (x @ w.T).astype(np.float32)
