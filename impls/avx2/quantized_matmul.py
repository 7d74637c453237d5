"""Quantized matmul through native kernels (cffi adapters).

W8A8 and W4A16 reuse the week 11 integer kernels in native/int8.c (int8_gemm:
maddubs/VNNI int32 accumulation; int4_gemv: nibble unpack + FMA, same packing
as ours); W8A16 uses native/quant.c's quant_matmul_w8a16."""

import numpy as np

from aigc_bench import native
from aigc_bench.quantization import scale_rows
from impls.numpy.quantized_matmul import check_activations, check_int8_operands

from .quantize_int8 import QUANT, _ptr

INT8 = native.load("int8")  # the week 11 integer kernels


def int8_matmul(a_q, w_q):
    a_q, w_q = check_int8_operands(a_q, w_q)
    a, w = np.ascontiguousarray(a_q), np.ascontiguousarray(w_q)
    (m, k), n = a.shape, w.shape[0]
    out = np.empty((m, n), np.int32)
    ffi, lib = INT8
    status = lib.int8_gemm(_ptr(ffi, a, "signed char *"), k, _ptr(ffi, w, "signed char *"), k, _ptr(ffi, out, "int *"), n, m, n, k, 0)
    if status != 0:
        raise ValueError(f"native int8_gemm refused the operands (status {status}): values must lie in [-127, 127] and k <= 131072")
    return out


def matmul_w8a8(a_q, a_scale, w_q, w_scale):
    acc = int8_matmul(a_q, w_q)  # [m, n] int32, exact
    a_scale = np.asarray(a_scale, np.float32).reshape(-1, 1)
    w_scale = np.asarray(w_scale, np.float32).reshape(1, -1)
    return (acc.astype(np.float32) * a_scale * w_scale).astype(np.float32)


def matmul_w8a16(x, w_q, w_scale):
    w_q = np.ascontiguousarray(w_q)
    if w_q.dtype != np.int8 or w_q.ndim != 2:
        raise ValueError(f"w_q must be a 2-D int8 array, got {w_q.dtype} of shape {w_q.shape}")
    x = np.ascontiguousarray(check_activations(x, w_q.shape[1]))
    scales = scale_rows(w_q.shape, w_scale)  # [n, G]
    (m, k), (n, groups) = x.shape, scales.shape
    out = np.empty((m, n), np.float32)
    ffi, lib = QUANT
    lib.quant_matmul_w8a16(_ptr(ffi, x, "float *"), _ptr(ffi, w_q, "signed char *"), _ptr(ffi, scales, "float *"), m, n, k, groups, _ptr(ffi, out, "float *"))
    return out


def matmul_w4a16(x, w_packed, w_scale, w_zero_point=None):
    w_packed = np.ascontiguousarray(w_packed)
    if w_packed.dtype != np.uint8 or w_packed.ndim != 2:
        raise ValueError(f"w_packed must be a 2-D uint8 array, got {w_packed.dtype} of shape {w_packed.shape}")
    n, k = w_packed.shape[0], 2 * w_packed.shape[1]
    x = np.ascontiguousarray(check_activations(x, k))
    scales = scale_rows((n, k), w_scale)  # [n, G]
    groups = scales.shape[1]
    if (k // groups) % 2:
        raise ValueError(f"INT4 groups of {k // groups} are odd: two values share a byte")
    ffi, lib = INT8
    out = np.empty((x.shape[0], n), np.float32)
    for i, row in enumerate(x):  # int4_gemv: y = W_deq x for one token
        y = out[i]
        lib.int4_gemv(_ptr(ffi, w_packed, "unsigned char *"), k // 2, _ptr(ffi, scales, "float *"), groups,
                      _ptr(ffi, row, "float *"), _ptr(ffi, y, "float *"), n, k, k // groups, 0)
    if w_zero_point is not None:
        # the kernel subtracts 8 from every nibble; a zero point zp instead needs
        # sum_g scale * (8 - zp) * (sum of x over group g) added back
        zp = scale_rows((n, k), w_zero_point, "zero_point", np.int32)
        x_group_sums = x.reshape(x.shape[0], groups, -1).sum(axis=2, dtype=np.float32)  # [m, G]
        out += x_group_sums @ (scales * (8 - zp)).T
    return out
