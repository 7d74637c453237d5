"""int8 kernels: thin adapters over native/int8.c (AVX2 maddubs/madd, AVX-VNNI or AVX-512 VNNI,
chosen at run time). The C code rejects -128 itself (return code -2) while it streams the
operands, so the adapters skip NumPy's extra pass over the data for that check."""

import numpy as np

from aigc_bench import native
from impls.avx2._kernel_call import INT8_PATHS, check, element_strides, path, pointer, unit_rows
from impls.simd_args import INT8_MAX_K, ndim, output, scales_args, typed

ffi, lib = native.load("int8")


def _int8(x, what, dims, n):
    return unit_rows(ndim(typed(x, np.int8, what), n, what, dims))


def _k(k):
    if k > INT8_MAX_K:
        raise ValueError(f"k = {k} exceeds INT8_MAX_K = {INT8_MAX_K}: int32 accumulation could overflow")


def _row_stride(a):
    return element_strides(a)[0] if a.shape[0] > 1 else a.shape[1]


def int8_dot(a, b):
    a, b = _int8(a, "a", "[k]", 1), _int8(b, "b", "[k]", 1)
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} and b has shape {b.shape}; expected two vectors of one length")
    _k(a.shape[0])
    result = ffi.new("int *")
    check(lib.int8_dot(pointer(ffi, a, "signed char *"), pointer(ffi, b, "signed char *"), a.shape[0], result, path(INT8_PATHS)), "int8_dot")
    return np.int32(result[0])


def _gemv(w, x, out, w_scales=None, x_scale=0.0):
    w, x = _int8(w, "w", "[m, k]", 2), np.ascontiguousarray(_int8(x, "x", "[k]", 1))
    if w.shape[1] != x.shape[0]:
        raise ValueError(f"w has shape {w.shape} but x has shape {x.shape}: k differs")
    _k(x.shape[0])
    scaled = w_scales is not None
    if scaled:
        w_scales, x_scale = scales_args(w, w_scales, x_scale)
        w_scales = np.ascontiguousarray(w_scales)
    out = output(out, (w.shape[0],), np.float32 if scaled else np.int32)
    acc = np.empty(w.shape[0], np.int32) if scaled else out
    code = lib.int8_gemv(
        pointer(ffi, w, "signed char *"), _row_stride(w), pointer(ffi, x, "signed char *"),
        pointer(ffi, acc, "int *"), pointer(ffi, out, "float *") if scaled else ffi.NULL,
        pointer(ffi, w_scales, "float *") if scaled else ffi.NULL, float(x_scale), w.shape[0], w.shape[1], path(INT8_PATHS),
    )
    check(code, "int8_gemv")
    return out


def int8_gemv(w, x, out=None):
    return _gemv(w, x, out)


def int8_gemv_scaled(w, w_scales, x, x_scale, out=None):
    return _gemv(w, x, out, w_scales, x_scale)


def int8_gemm(a, w, out=None):
    a, w = _int8(a, "a", "[m, k]", 2), _int8(w, "w", "[n, k]", 2)
    if a.shape[1] != w.shape[1]:
        raise ValueError(f"a has shape {a.shape} but w has shape {w.shape}: k differs (w is [n, k])")
    _k(a.shape[1])
    out = output(out, (a.shape[0], w.shape[0]), np.int32)
    code = lib.int8_gemm(
        pointer(ffi, a, "signed char *"), _row_stride(a), pointer(ffi, w, "signed char *"), _row_stride(w),
        pointer(ffi, out, "int *"), w.shape[0], a.shape[0], w.shape[0], a.shape[1], path(INT8_PATHS),
    )
    check(code, "int8_gemm")
    return out
