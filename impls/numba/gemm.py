"""fp32 matrix multiply as Numba loops: i-p-j order so the inner loop streams rows of B and C
(unit stride, vectorised), blocked over p so a slab of B stays in cache."""

import numba
import numpy as np

from impls.simd_args import matmul_args

BLOCK_K = 128


@numba.njit(fastmath=True, cache=True)
def _matmul(a, b, c):
    m, k = a.shape
    n = b.shape[1]
    c[:, :] = 0.0
    for p0 in range(0, k, BLOCK_K):
        p1 = min(p0 + BLOCK_K, k)
        for i in range(m):
            for p in range(p0, p1):
                aip = a[i, p]
                for j in range(n):
                    c[i, j] += aip * b[p, j]


def matmul(a, b, out=None):
    a, b, out = matmul_args(a, b, out)
    _matmul(np.ascontiguousarray(a), np.ascontiguousarray(b), out)
    return out
