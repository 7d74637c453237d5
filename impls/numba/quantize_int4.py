"""INT4 group quantization and nibble packing with Numba loops."""

import numpy as np
from numba import njit

from aigc_bench.quantization import int4_api

from .quantize_int8 import asymmetric_codes, dequantize_codes, symmetric


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


pack_int4, unpack_int4, quantize_int4, dequantize_int4 = int4_api(symmetric, asymmetric_codes, dequantize_codes, pack_rows, unpack_rows)
