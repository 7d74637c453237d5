"""Aligned sums as Numba loops. Allocation is NumPy's (Numba cannot choose an alignment)."""

import numba
import numpy as np

from impls.numpy.aligned import aligned_empty  # noqa: F401  (the same over-allocate-and-offset trick)
from impls.simd_args import aligned_vector, ndim, typed


@numba.njit(fastmath=True, cache=True)
def _sum(x):
    acc = np.float32(0.0)
    for i in range(x.shape[0]):
        acc += x[i]
    return acc


def sum_aligned(x):
    return np.float32(_sum(aligned_vector(x)))


def sum_unaligned(x):
    return np.float32(_sum(ndim(typed(x, np.float32, "x"), 1, "x", "[n]")))
