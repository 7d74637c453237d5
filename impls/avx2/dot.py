"""fp32 dot product: thin adapter over native/gemm.c dot_f32 (AVX2 FMA, four accumulators)."""

import numpy as np

from aigc_bench import native
from impls.avx2._kernel_call import FLOAT_PATHS, check, path, pointer
from impls.simd_args import float_vectors

ffi, lib = native.load("gemm")


def dot(x, y):
    x, y = float_vectors(x, y)
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)  # the kernel reads unit stride (any alignment)
    result = ffi.new("float *")
    check(lib.dot_f32(pointer(ffi, x, "float *"), pointer(ffi, y, "float *"), x.shape[0], result, path(FLOAT_PATHS)), "dot")
    return np.float32(result[0])
