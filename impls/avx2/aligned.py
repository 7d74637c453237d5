"""Aligned allocation with posix_memalign (native/aligned.c), viewed by NumPy without a copy;
aligned (_mm256_load_ps) and unaligned (_mm256_loadu_ps) sums."""

import numpy as np

from aigc_bench import native
from impls.avx2._kernel_call import check, pointer
from impls.simd_args import aligned_vector, alignment_arg, ndim, typed

ffi, lib = native.load("aligned")


def aligned_empty(shape, dtype="float32", alignment=64):
    alignment = alignment_arg(alignment)
    dtype = np.dtype(dtype)
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = lib.aligned_buffer(max(nbytes, 1), alignment)
    if raw == ffi.NULL:
        raise MemoryError(f"posix_memalign could not allocate {nbytes} bytes aligned to {alignment}")
    owner = ffi.gc(raw, lib.aligned_buffer_free)  # freed when the last NumPy view goes away
    return np.frombuffer(ffi.buffer(owner, max(nbytes, 1)), dtype=np.uint8)[:nbytes].view(dtype).reshape(shape)


def sum_aligned(x):
    x = ndim(typed(x, np.float32, "x"), 1, "x", "[n]")
    if not x.flags.c_contiguous:
        aligned_vector(x)  # raises the contract's error
    result = ffi.new("float *")
    # the C function checks the address before its first aligned load (returns -1 instead of
    # faulting); asking NumPy for the address here would cost more than summing 4096 floats
    if lib.sum_f32_aligned(pointer(ffi, x, "float *"), x.shape[0], result) == -1:
        aligned_vector(x)  # raises, naming how far past a 32-byte boundary x starts
    return np.float32(result[0])


def sum_unaligned(x):
    x = np.ascontiguousarray(ndim(typed(x, np.float32, "x"), 1, "x", "[n]"))
    result = ffi.new("float *")
    check(lib.sum_f32_unaligned(pointer(ffi, x, "float *"), x.shape[0], result), "sum_unaligned")
    return np.float32(result[0])
