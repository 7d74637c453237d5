"""INT4 group quantization with two values per byte, in NumPy (roadmap Day 66-67)."""

import numpy as np

from aigc_bench.quantization import as_groups, check_group_size, validate_float

from .quantize_int8 import asymmetric_codes, dequantize_codes, symmetric_codes

OFFSET = 8  # symmetric codes -7..7 are stored as nibbles 1..15


def pack_int4(q):
    q = np.asarray(q)
    if q.ndim == 0 or q.shape[-1] % 2:
        raise ValueError(f"pack_int4 needs an even last dimension, got shape {q.shape}")
    if q.size and (q.min() < 0 or q.max() > 15):
        raise ValueError(f"pack_int4 takes 4-bit codes 0..15, got values in [{q.min()}, {q.max()}]")
    q = q.astype(np.uint8)
    low, high = q[..., 0::2], q[..., 1::2]  # [..., n/2] each: element 2i low, 2i+1 high
    return (low | (high << 4)).astype(np.uint8)


def unpack_int4(packed):
    packed = np.asarray(packed)
    if packed.dtype != np.uint8:
        raise ValueError(f"packed INT4 data must be uint8, got {packed.dtype}")
    out = np.empty(packed.shape[:-1] + (packed.shape[-1] * 2,), dtype=np.uint8)  # [..., 2m]
    out[..., 0::2] = packed & 0x0F
    out[..., 1::2] = packed >> 4
    return out


def quantize_int4(x, group_size=32, symmetric=True):
    x = validate_float(x)
    check_group_size(x.shape[-1], group_size, even=True)
    layout = as_groups(x, "group", group_size)  # groups [G, g]
    if symmetric:
        q, scale = symmetric_codes(layout.groups, 7)
        codes, zero_point = q + OFFSET, None
    else:
        codes, scale, zero_point = asymmetric_codes(layout.groups, 15)
        zero_point = zero_point.reshape(layout.scale_shape)
    packed = pack_int4(layout.restore(codes.astype(np.uint8)))
    return packed, layout.scales_back(scale), zero_point


def dequantize_int4(packed, scale, zero_point=None):
    codes = unpack_int4(packed)  # [..., n] nibbles 0..15
    if zero_point is None:
        zero_point = np.full(np.shape(scale), OFFSET, dtype=np.int32)  # symmetric: nibble 8 is zero
    return dequantize_codes(codes, scale, zero_point)
