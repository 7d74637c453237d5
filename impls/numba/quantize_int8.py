"""INT8 quantization with Numba: explicit loops over the groups matrix [G, g]
(aigc_bench.quantization.as_groups), one scale per group, as a C kernel would."""

import numpy as np
from numba import njit

from aigc_bench.quantization import int8_api, scale_rows

@njit(cache=True)
def symmetric_scales(groups, qmax):
    G, g = groups.shape
    scale = np.empty(G, np.float32)
    for r in range(G):
        amax = np.float32(0.0)
        for c in range(g):
            amax = max(amax, abs(groups[r, c]))
        scale[r] = amax / np.float32(qmax)
    return scale


@njit(cache=True)
def symmetric_codes(groups, scale, qmax):
    """q[r, c] = clamp(rint(groups[r, c] / scale[r]), -qmax, qmax); scale 0 -> q 0."""
    G, g = groups.shape
    q = np.empty((G, g), np.int32)
    for r in range(G):
        inv = np.float32(1.0) / scale[r] if scale[r] > 0 else np.float32(0.0)
        for c in range(g):
            v = np.rint(groups[r, c] * inv)
            q[r, c] = int(min(max(v, -qmax), qmax))
    return q


@njit(cache=True)
def asymmetric_codes(groups, levels):
    G, g = groups.shape
    q = np.empty((G, g), np.int32)
    scale = np.empty(G, np.float32)
    zero_point = np.empty(G, np.int32)
    for r in range(G):
        lo, hi = np.float32(0.0), np.float32(0.0)  # the range always contains 0
        for c in range(g):
            lo = min(lo, groups[r, c])
            hi = max(hi, groups[r, c])
        scale[r] = (hi - lo) / np.float32(levels)
        inv = np.float32(1.0) / scale[r] if scale[r] > 0 else np.float32(0.0)
        zp = int(min(max(np.rint(-lo * inv), 0), levels))
        zero_point[r] = zp
        for c in range(g):
            v = np.rint(groups[r, c] * inv) + zp
            q[r, c] = int(min(max(v, 0), levels))
    return q, scale, zero_point


@njit(cache=True)
def dequantize_rows(codes, scales, zero_points):
    """codes [rows, n] (any integer type), scales/zero_points [rows, G] -> float32 [rows, n]."""
    rows, n = codes.shape
    groups = scales.shape[1]
    width = n // groups
    out = np.empty((rows, n), np.float32)
    for r in range(rows):
        for c in range(n):
            gi = c // width
            out[r, c] = (np.float32(codes[r, c]) - np.float32(zero_points[r, gi])) * scales[r, gi]
    return out


def symmetric(groups, qmax, scale=None):
    scale = symmetric_scales(groups, qmax) if scale is None else scale
    return symmetric_codes(groups, scale, qmax), scale


def dequantize_codes(codes, scale, zero_point):
    scales = scale_rows(codes.shape, scale)  # [rows, G]
    zero_points = np.zeros(scales.shape, np.int32) if zero_point is None else scale_rows(codes.shape, zero_point, "zero_point", np.int32)
    return dequantize_rows(np.ascontiguousarray(codes).reshape(scales.shape[0], -1), scales, zero_points).reshape(codes.shape)


quantize_int8, quantize_int8_asymmetric, dequantize_int8 = int8_api(symmetric, asymmetric_codes, dequantize_codes)
