"""Scaled dot-product attention through the C kernel native/attention.c (AVX2/FMA).

A thin cffi adapter: shapes are checked and flattened to contiguous
[B, L, d] batches (impls/kernel_inputs.py), float32 and float64 each have
their own kernel (no downcast), the mask goes in as bytes."""

import numpy as np

from aigc_bench import native

from ..kernel_inputs import attention_batch

KERNELS = {np.dtype(np.float32): ("attention_f32", "float *"), np.dtype(np.float64): ("attention_f64", "double *")}


def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    batch, q3, k3, v3, allowed = attention_batch(q, k, v, mask)
    (n, lq, d), (lk, dv) = q3.shape, v3.shape[1:]
    out = np.empty((n, lq, dv), dtype=q3.dtype)  # [B, Lq, dv]
    if out.size:
        ffi, lib = native.load("attention")
        name, ctype = KERNELS[q3.dtype]
        mask_ptr = ffi.NULL if allowed is None else native.as_pointer(ffi, allowed.view(np.uint8), "unsigned char *")
        status = getattr(lib, name)(
            native.as_pointer(ffi, q3, ctype), native.as_pointer(ffi, k3, ctype), native.as_pointer(ffi, v3, ctype),
            mask_ptr, ffi.cast(ctype, ffi.from_buffer(out)), n, lq, lk, d, dv, int(bool(causal)),
        )
        if status != 0:
            raise MemoryError(f"native attention could not allocate {lk} scores")
    return out.reshape(batch + (lq, dv))
