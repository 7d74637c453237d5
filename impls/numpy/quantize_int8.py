"""INT8 quantization in NumPy (roadmap Day 64-65).

Every granularity is the same computation on a matrix of groups [G, g]
(aigc_bench.quantization.as_groups): one scale per row of that matrix. The
kernels below are the math; `int8_api` wraps them into the contract's functions
(layouts, input checks, dtypes), the same way for every backend.
"""

import numpy as np

from aigc_bench.quantization import int8_api, scale_rows


def symmetric_codes(groups, qmax, scale=None):
    """groups [G, g] float32 -> (q [G, g] int32 in [-qmax, qmax], scale [G] float32)."""
    if scale is None:
        scale = np.max(np.abs(groups), axis=1) / np.float32(qmax)  # [G]: max-abs maps to qmax
    inv = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)  # all-zero group: scale 0, q 0
    q = np.rint(groups * inv[:, None])  # [G, g] nearest integer
    q = np.clip(q, -qmax, qmax)  # saturate values beyond a calibrated scale
    return q.astype(np.int32), scale.astype(np.float32)


def asymmetric_codes(groups, levels):
    """groups [G, g] -> (q [G, g] int32 in [0, levels], scale [G] float32, zero_point [G] int32)."""
    lo = np.minimum(groups.min(axis=1), 0.0)  # [G]: the range always contains 0,
    hi = np.maximum(groups.max(axis=1), 0.0)  # so that 0.0 is exactly q == zero_point
    scale = ((hi - lo) / np.float32(levels)).astype(np.float32)
    inv = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    zero_point = np.clip(np.rint(-lo * inv), 0, levels)  # [G]
    q = np.clip(np.rint(groups * inv[:, None]) + zero_point[:, None], 0, levels)  # [G, g]
    return q.astype(np.int32), scale, zero_point.astype(np.int32)


def dequantize_codes(codes, scale, zero_point):
    """(codes - zero_point) * scale for integer codes [..., n] and group scales [..., G]."""
    scales = scale_rows(codes.shape, scale)  # [rows, G]
    rows, groups = scales.shape
    values = codes.reshape(rows, groups, -1).astype(np.float32)  # [rows, G, n/G]
    if zero_point is not None:
        values = values - scale_rows(codes.shape, zero_point, "zero_point")[:, :, None]
    return (values * scales[:, :, None]).reshape(codes.shape)


quantize_int8, quantize_int8_asymmetric, dequantize_int8 = int8_api(symmetric_codes, asymmetric_codes, dequantize_codes)
