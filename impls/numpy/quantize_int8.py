"""INT8 quantization in NumPy (roadmap Day 64-65).

Every granularity is the same computation on a matrix of groups [G, g]
(aigc_bench.quantization.as_groups): one scale per row of that matrix.
"""

import numpy as np

from aigc_bench.quantization import as_groups, scale_rows

QMAX = 127  # symmetric range [-127, 127]: -128 is left out so that q(-x) = -q(x)


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


def quantize_int8(x, granularity="row", group_size=None, scale=None):
    layout = as_groups(x, granularity, group_size)
    given = None if scale is None else layout.scale_to_groups(scale)
    q, per_group = symmetric_codes(layout.groups, QMAX, given)
    return layout.restore(q.astype(np.int8)), layout.scales_back(per_group)


def quantize_int8_asymmetric(x, granularity="row", group_size=None):
    layout = as_groups(x, granularity, group_size)
    q, scale, zero_point = asymmetric_codes(layout.groups, 255)
    return layout.restore(q.astype(np.uint8)), layout.scales_back(scale), zero_point.reshape(layout.scale_shape)


def dequantize_int8(q, scale, zero_point=None):
    q = np.asarray(q)
    if q.dtype not in (np.int8, np.uint8):
        raise ValueError(f"q must be int8 or uint8, got {q.dtype}")
    return dequantize_codes(q, scale, zero_point)


def dequantize_codes(codes, scale, zero_point):
    """(codes - zero_point) * scale for integer codes [..., n] and group scales [..., G]."""
    scales = scale_rows(codes.shape, scale)  # [rows, G]
    rows, groups = scales.shape
    values = codes.reshape(rows, groups, -1).astype(np.float32)  # [rows, G, n/G]
    if zero_point is not None:
        values = values - scale_rows(codes.shape, zero_point, "zero_point")[:, :, None]
    return (values * scales[:, :, None]).reshape(codes.shape)
