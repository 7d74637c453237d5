"""INT4 group quantization and nibble packing through native/quant.c (cffi adapter)."""

import numpy as np

from aigc_bench.quantization import int4_api

from .quantize_int8 import QUANT, _ptr, asymmetric_codes, dequantize_codes, symmetric_codes


def pack_rows(codes):
    """codes [R, n] uint8 -> [R, n/2] in C (element 2i in the low nibble)."""
    out = np.empty((codes.shape[0], codes.shape[1] // 2), np.uint8)
    if codes.size:
        ffi, lib = QUANT
        lib.quant_pack_int4(_ptr(ffi, codes, "unsigned char *"), codes.size, _ptr(ffi, out, "unsigned char *"))
    return out


def unpack_rows(packed):
    out = np.empty((packed.shape[0], 2 * packed.shape[1]), np.uint8)
    if packed.size:
        ffi, lib = QUANT
        lib.quant_unpack_int4(_ptr(ffi, packed, "unsigned char *"), packed.size, _ptr(ffi, out, "unsigned char *"))
    return out


pack_int4, unpack_int4, quantize_int4, dequantize_int4 = int4_api(symmetric_codes, asymmetric_codes, dequantize_codes, pack_rows, unpack_rows)
