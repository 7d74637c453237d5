"""fp32 dot product as a Numba loop (fastmath lets LLVM vectorise the reduction, like -O3 -ffast-math C)."""

import numba
import numpy as np

from impls.simd_args import float_vectors


@numba.njit(fastmath=True, cache=True)
def _dot(x, y):
    acc = np.float32(0.0)
    for i in range(x.shape[0]):
        acc += x[i] * y[i]
    return acc


def dot(x, y):
    x, y = float_vectors(x, y)
    return np.float32(_dot(x, y))
