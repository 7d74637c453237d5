"""INT4 packing and group-scaled GEMV in NumPy (low nibble = even index, stored as q + 8)."""

import numpy as np

from impls.simd_args import int4_gemv_args, int4_values, typed


def int4_pack(q):
    q = int4_values(q).astype(np.int16)  # [..., k]
    even, odd = q[..., 0::2] + 8, q[..., 1::2] + 8  # [..., k/2] each, in 0..15
    return (even | (odd << 4)).astype(np.uint8)


def int4_unpack(packed):
    packed = typed(packed, np.uint8, "packed")  # [..., k/2]
    low, high = packed & 0x0F, packed >> 4
    nibbles = np.stack([low, high], axis=-1).reshape(packed.shape[:-1] + (2 * packed.shape[-1],))  # [..., k]
    return (nibbles.astype(np.int16) - 8).astype(np.int8)


def int4_gemv(packed, scales, x, group_size, out=None):
    packed, scales, x, out = int4_gemv_args(packed, scales, x, group_size, out)
    q = int4_unpack(packed).astype(np.float32)  # [m, k]
    w = q * np.repeat(scales, group_size, axis=1)  # [m, k] dequantized
    np.matmul(w, x, out=out)
    return out
