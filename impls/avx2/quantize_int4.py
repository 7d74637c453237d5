"""INT4 group quantization and nibble packing through native/quant.c (cffi adapter)."""

import numpy as np

from aigc_bench.quantization import as_groups, check_group_size, validate_float

from .quantize_int8 import QUANT, _ptr, asymmetric_codes, dequantize_codes, symmetric_codes

OFFSET = 8


def pack_int4(q):
    q = np.asarray(q)
    if q.ndim == 0 or q.shape[-1] % 2:
        raise ValueError(f"pack_int4 needs an even last dimension, got shape {q.shape}")
    if q.size and (q.min() < 0 or q.max() > 15):
        raise ValueError(f"pack_int4 takes 4-bit codes 0..15, got values in [{q.min()}, {q.max()}]")
    codes = np.ascontiguousarray(q, dtype=np.uint8)
    out = np.empty(q.shape[:-1] + (q.shape[-1] // 2,), np.uint8)
    if codes.size:
        ffi, lib = QUANT
        lib.quant_pack_int4(_ptr(ffi, codes, "unsigned char *"), codes.size, _ptr(ffi, out, "unsigned char *"))
    return out


def unpack_int4(packed):
    packed = np.asarray(packed)
    if packed.dtype != np.uint8:
        raise ValueError(f"packed INT4 data must be uint8, got {packed.dtype}")
    packed = np.ascontiguousarray(packed)
    out = np.empty(packed.shape[:-1] + (2 * packed.shape[-1],), np.uint8)
    if packed.size:
        ffi, lib = QUANT
        lib.quant_unpack_int4(_ptr(ffi, packed, "unsigned char *"), packed.size, _ptr(ffi, out, "unsigned char *"))
    return out


def quantize_int4(x, group_size=32, symmetric=True):
    x = validate_float(x)
    check_group_size(x.shape[-1], group_size, even=True)
    layout = as_groups(x, "group", group_size)
    if symmetric:
        q, scale = symmetric_codes(layout.groups, 7)
        codes, zero_point = q + OFFSET, None
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
