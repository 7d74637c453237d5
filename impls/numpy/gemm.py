"""fp32 matrix multiply in NumPy (OpenBLAS sgemm underneath: the peer the C kernel is timed against)."""

import numpy as np

from impls.simd_args import matmul_args


def matmul(a, b, out=None):
    a, b, out = matmul_args(a, b, out)  # [m, k], [k, n], [m, n]
    np.matmul(a, b, out=out)
    return out
