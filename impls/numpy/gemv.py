"""fp32 matrix-vector product in NumPy (BLAS sgemv underneath)."""

import numpy as np

from impls.simd_args import gemv_args


def gemv(a, x, out=None):
    a, x, out = gemv_args(a, x, out)  # [m, k], [k], [m]
    np.matmul(a, x, out=out)
    return out
