"""INT4 group quantization with two values per byte, in NumPy (roadmap Day 66-67).

The INT8 kernels with qmax 7 / 15 levels, plus the nibble packing below; `int4_api`
wraps them into the contract's functions."""

import numpy as np

from aigc_bench.quantization import int4_api

from .quantize_int8 import asymmetric_codes, dequantize_codes, symmetric_codes


def pack_rows(codes):
    """codes [R, n] uint8 in 0..15 -> [R, n/2]: element 2i in the low nibble, 2i+1 in the high."""
    low, high = codes[:, 0::2], codes[:, 1::2]  # [R, n/2] each
    return (low | (high << 4)).astype(np.uint8)


def unpack_rows(packed):
    out = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.uint8)  # [R, 2m]
    out[:, 0::2] = packed & 0x0F
    out[:, 1::2] = packed >> 4
    return out


pack_int4, unpack_int4, quantize_int4, dequantize_int4 = int4_api(symmetric_codes, asymmetric_codes, dequantize_codes, pack_rows, unpack_rows)
