"""fp32 matrix-vector product as Numba loops (one dot per row, vectorised by LLVM with fastmath)."""

import numba
import numpy as np

from impls.simd_args import gemv_args


@numba.njit(fastmath=True, cache=True)
def _gemv(a, x, y):
    m, k = a.shape
    for i in range(m):
        acc = np.float32(0.0)
        for j in range(k):
            acc += a[i, j] * x[j]
        y[i] = acc


def gemv(a, x, out=None):
    a, x, out = gemv_args(a, x, out)
    _gemv(np.ascontiguousarray(a), np.ascontiguousarray(x), out)  # rows contiguous: unit-stride inner loop
    return out
