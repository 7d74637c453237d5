"""fp32 dot product in NumPy (BLAS sdot underneath)."""

import numpy as np

from impls.simd_args import float_vectors


def dot(x, y):
    x, y = float_vectors(x, y)  # [n], [n]
    return np.float32(np.dot(x, y))
