"""fp32 GEMM: thin adapter over native/gemm.c matmul_f32 (packed, cache-blocked; any input strides)."""

import numpy as np

from aigc_bench import native
from impls.avx2._kernel_call import FLOAT_PATHS, check, element_strides, path, pointer
from impls.simd_args import matmul_args

ffi, lib = native.load("gemm")


def matmul(a, b, out=None):
    a, b, out = matmul_args(a, b, out)
    (m, k), n = a.shape, b.shape[1]
    if out.size == 0:
        return out
    # packing reads through the strides, so transposed or strided views need no copy
    (ars, acs), (brs, bcs) = element_strides(a), element_strides(b)
    if a.strides[0] % 4 or a.strides[1] % 4 or b.strides[0] % 4 or b.strides[1] % 4:
        a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
        (ars, acs), (brs, bcs) = element_strides(a), element_strides(b)
    code = lib.matmul_f32(
        pointer(ffi, a, "float *"), ars, acs, pointer(ffi, b, "float *"), brs, bcs,
        pointer(ffi, out, "float *"), n, m, k, n, path(FLOAT_PATHS),
    )
    check(code, "matmul")
    return out
