"""INT4 group-scaled GEMV as a Numba loop that unpacks nibbles on the fly (no dequantized copy)."""

import numba
import numpy as np

from impls.numpy.int4_kernels import int4_pack, int4_unpack  # noqa: F401  (packing is layout, not compute)
from impls.simd_args import int4_gemv_args


@numba.njit(fastmath=True, cache=True)
def _int4_gemv(packed, scales, x, group, y):
    m, half = packed.shape
    for i in range(m):
        total = np.float32(0.0)
        for g in range(2 * half // group):
            part = np.float32(0.0)
            for j in range(g * group // 2, (g + 1) * group // 2):
                byte = packed[i, j]
                part += np.float32(np.int32(byte & 0x0F) - 8) * x[2 * j]  # low nibble: even index
                part += np.float32(np.int32(byte >> 4) - 8) * x[2 * j + 1]
            total += scales[i, g] * part
        y[i] = total


def int4_gemv(packed, scales, x, group_size, out=None):
    packed, scales, x, out = int4_gemv_args(packed, scales, x, group_size, out)
    _int4_gemv(np.ascontiguousarray(packed), np.ascontiguousarray(scales), np.ascontiguousarray(x), int(group_size), out)
    return out
