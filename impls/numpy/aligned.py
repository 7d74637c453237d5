"""Aligned allocation in NumPy: over-allocate bytes and start the view at the first aligned address."""

import numpy as np

from impls.simd_args import aligned_vector, alignment_arg, ndim, typed


def aligned_empty(shape, dtype="float32", alignment=64):
    alignment = alignment_arg(alignment)
    dtype = np.dtype(dtype)
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + alignment, dtype=np.uint8)  # the view below keeps `raw` alive
    skip = -raw.ctypes.data % alignment  # bytes to the next multiple of `alignment`
    return raw[skip : skip + nbytes].view(dtype).reshape(shape)


def sum_aligned(x):
    x = aligned_vector(x)  # [n], 32-byte aligned
    return np.float32(np.sum(x))


def sum_unaligned(x):
    x = ndim(typed(x, np.float32, "x"), 1, "x", "[n]")
    return np.float32(np.sum(x))
