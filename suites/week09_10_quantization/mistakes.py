"""Common quantization mistakes; each one must be caught by this suite
(`pytest suites/week09_10_quantization --impl mistakes` fails every one)."""

import numpy as np

from aigc_bench.quantization import as_groups

from .contract import int4_skill, int8_skill


def _broken_int8(x, granularity, group_size, scale, *, scale_from=np.max, divisor=127, rounding=np.rint, low=-127, high=127, clamp=True):
    """The reference's symmetric INT8 with one step changed (a keyword per mistake)."""
    layout = as_groups(x, granularity, group_size)
    groups = layout.groups  # [G, g]
    s = scale_from(np.abs(groups), axis=1) / divisor if scale is None else layout.scale_to_groups(scale)
    inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
    q = rounding(groups * inv[:, None])
    q = np.clip(q, low, high) if clamp else q
    return layout.restore(q.astype(np.int64).astype(np.int8)), layout.scales_back(s)  # int64 -> int8 wraps mod 256


@int8_skill.mistake("quantize_int8", "scale from the mean |x| instead of the max |x| (large values clip)")
def int8_scale_from_mean(x, granularity="row", group_size=None, scale=None):
    return _broken_int8(x, granularity, group_size, scale, scale_from=np.mean)


@int8_skill.mistake("quantize_int8", "rounding by truncation toward zero instead of to the nearest integer")
def int8_truncating(x, granularity="row", group_size=None, scale=None):
    return _broken_int8(x, granularity, group_size, scale, rounding=np.trunc)


@int8_skill.mistake("quantize_int8", "the int8 range [-128, 127] used in a symmetric scheme (scale max/128: +max clips, -max gives -128)")
def int8_uses_minus_128(x, granularity="row", group_size=None, scale=None):
    return _broken_int8(x, granularity, group_size, scale, divisor=128, low=-128)


@int8_skill.mistake("quantize_int8", "no clamp before the int8 cast: values beyond a calibrated scale wrap around")
def int8_missing_clamp(x, granularity="row", group_size=None, scale=None):
    return _broken_int8(x, granularity, group_size, scale, clamp=False)


@int4_skill.mistake("pack_int4", "swapped nibble order: element 2i packed into the high nibble")
def pack_int4_swapped_nibbles(q):
    q = np.asarray(q).astype(np.uint8)
    return ((q[..., 0::2] << 4) | q[..., 1::2]).astype(np.uint8)
