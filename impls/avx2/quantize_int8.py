"""INT8 quantization through native/quant.c (cffi adapter): the groups matrix
[G, g] goes to the C kernel, one scale per row."""

import numpy as np

from aigc_bench import native
from aigc_bench.quantization import int8_api, scale_rows

QUANT = native.load("quant")  # (ffi, lib), built at import: not inside a guarded call


def _ptr(ffi, array, ctype):
    return ffi.cast(ctype, ffi.from_buffer(array))


def symmetric_codes(groups, qmax, scale=None):
    """groups [G, g] float32 -> (q [G, g] int32, scale [G] float32), in C."""
    ffi, lib = QUANT
    rows, g = groups.shape
    q = np.empty((rows, g), np.int32)
    per_group = np.empty(rows, np.float32) if scale is None else np.array(scale, np.float32)
    lib.quant_symmetric(_ptr(ffi, groups, "float *"), rows, g, qmax, int(scale is None), _ptr(ffi, per_group, "float *"), _ptr(ffi, q, "int *"))
    return q, per_group


def asymmetric_codes(groups, levels):
    ffi, lib = QUANT
    rows, g = groups.shape
    q, scale, zero_point = np.empty((rows, g), np.int32), np.empty(rows, np.float32), np.empty(rows, np.int32)
    lib.quant_asymmetric(_ptr(ffi, groups, "float *"), rows, g, levels, _ptr(ffi, q, "int *"), _ptr(ffi, scale, "float *"), _ptr(ffi, zero_point, "int *"))
    return q, scale, zero_point


def dequantize_codes(codes, scale, zero_point):
    """(codes - zero_point) * scale for int8/uint8 codes [..., n], in C."""
    ffi, lib = QUANT
    codes = np.ascontiguousarray(codes)
    scales = scale_rows(codes.shape, scale)  # [rows, G]
    zp = ffi.NULL if zero_point is None else _ptr(ffi, scale_rows(codes.shape, zero_point, "zero_point", np.int32), "int *")
    rows, groups = scales.shape
    out = np.empty(codes.shape, np.float32)
    lib.quant_dequantize(ffi.from_buffer(codes), int(codes.dtype == np.int8), rows, codes.shape[-1], groups, _ptr(ffi, scales, "float *"), zp, _ptr(ffi, out, "float *"))
    return out


quantize_int8, quantize_int8_asymmetric, dequantize_int8 = int8_api(symmetric_codes, asymmetric_codes, dequantize_codes)
