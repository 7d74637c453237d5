"""fp32 GEMV: thin adapter over native/gemm.c gemv_f32 (four rows share each load of x)."""

import numpy as np

from aigc_bench import native
from impls.avx2._kernel_call import FLOAT_PATHS, check, element_strides, path, pointer, unit_rows
from impls.simd_args import gemv_args

ffi, lib = native.load("gemm")


def gemv(a, x, out=None):
    a, x, out = gemv_args(a, x, out)
    a, x = unit_rows(a), np.ascontiguousarray(x)  # rows may have any positive stride
    m, k = a.shape
    lda = element_strides(a)[0] if m > 1 else k
    code = lib.gemv_f32(pointer(ffi, a, "float *"), lda, pointer(ffi, x, "float *"), pointer(ffi, out, "float *"), m, k, path(FLOAT_PATHS))
    check(code, "gemv")
    return out
