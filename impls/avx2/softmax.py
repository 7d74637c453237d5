"""Softmax and its gradient through the C kernels in native/attention.c (AVX2/FMA):
rows of a contiguous [rows, n] copy (impls/kernel_inputs.py), one kernel per dtype."""

import numpy as np

from aigc_bench import native

from ..kernel_inputs import as_rows, float_array, from_rows

CTYPES = {np.dtype(np.float32): ("f32", "float *"), np.dtype(np.float64): ("f64", "double *")}


def _run(kernel: str, axis: int, *arrays):
    """Apply native `kernel_<dtype>` to the rows of `arrays` along `axis`."""
    rows = [as_rows(a, axis) for a in arrays]
    moved_shape = rows[0][1]
    out = np.empty_like(rows[0][0])  # [rows, n]
    if out.size:
        ffi, lib = native.load("attention")
        suffix, ctype = CTYPES[out.dtype]
        pointers = [native.as_pointer(ffi, r, ctype) for r, _ in rows]
        getattr(lib, f"{kernel}_{suffix}")(*pointers, ffi.cast(ctype, ffi.from_buffer(out)), *out.shape)
    return from_rows(out, moved_shape, axis)


def softmax(x, axis=-1):
    return _run("softmax_rows", axis, float_array(x, "x"))


def softmax_backward(y, grad_y, axis=-1):
    y, grad_y = float_array(y, "y"), float_array(grad_y, "grad_y")
    if y.shape != grad_y.shape:
        raise ValueError(f"y has shape {y.shape} but grad_y has shape {grad_y.shape}")
    return _run("softmax_backward_rows", axis, y, grad_y.astype(y.dtype, copy=False))
