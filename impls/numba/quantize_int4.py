"""INT4 group quantization and nibble packing with Numba loops."""

import numpy as np
from numba import njit

from aigc_bench.quantization import as_groups, check_group_size, validate_float

from .quantize_int8 import asymmetric_codes, dequantize_codes, symmetric_codes, symmetric_scales

OFFSET = 8


@njit(cache=True)
def pack_rows(codes):
    """codes [rows, n] uint8 -> [rows, n/2]: element 2i in the low nibble."""
    rows, n = codes.shape
    out = np.empty((rows, n // 2), np.uint8)
    for r in range(rows):
        for i in range(n // 2):
            out[r, i] = codes[r, 2 * i] | (codes[r, 2 * i + 1] << 4)
    return out


@njit(cache=True)
def unpack_rows(packed):
    rows, m = packed.shape
    out = np.empty((rows, 2 * m), np.uint8)
    for r in range(rows):
        for i in range(m):
            out[r, 2 * i] = packed[r, i] & 0x0F
            out[r, 2 * i + 1] = packed[r, i] >> 4
    return out


def pack_int4(q):
    q = np.asarray(q)
    if q.ndim == 0 or q.shape[-1] % 2:
        raise ValueError(f"pack_int4 needs an even last dimension, got shape {q.shape}")
    if q.size and (q.min() < 0 or q.max() > 15):
        raise ValueError(f"pack_int4 takes 4-bit codes 0..15, got values in [{q.min()}, {q.max()}]")
    rows = np.ascontiguousarray(q.astype(np.uint8).reshape(-1, q.shape[-1]))
    return pack_rows(rows).reshape(q.shape[:-1] + (q.shape[-1] // 2,))


def unpack_int4(packed):
    packed = np.asarray(packed)
    if packed.dtype != np.uint8:
        raise ValueError(f"packed INT4 data must be uint8, got {packed.dtype}")
    rows = np.ascontiguousarray(packed.reshape(-1, packed.shape[-1]))
    return unpack_rows(rows).reshape(packed.shape[:-1] + (2 * packed.shape[-1],))


def quantize_int4(x, group_size=32, symmetric=True):
    x = validate_float(x)
    check_group_size(x.shape[-1], group_size, even=True)
    layout = as_groups(x, "group", group_size)
    if symmetric:
        scale = symmetric_scales(layout.groups, 7)
        codes, zero_point = symmetric_codes(layout.groups, scale, 7) + OFFSET, None
    else:
        codes, scale, zero_point = asymmetric_codes(layout.groups, 15)
        zero_point = zero_point.reshape(layout.scale_shape)
    packed = pack_int4(layout.restore(codes.astype(np.uint8)))
    return packed, layout.scales_back(scale), zero_point


def dequantize_int4(packed, scale, zero_point=None):
    codes = unpack_int4(packed)
    if zero_point is None:
        zero_point = np.full(np.shape(scale), OFFSET, dtype=np.int32)
    return dequantize_codes(codes, scale, zero_point)
