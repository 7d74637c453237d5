"""Common quantization mistakes; each one must be caught by this suite
(`pytest suites/week09_10_quantization --impl mistakes` fails every one)."""

import numpy as np

from aigc_bench.quantization import as_groups

from .contract import int4_skill, int8_skill


def _quantize_rows(x, granularity, group_size, scale, codes_from):
    """The reference's plumbing around a broken `codes_from(groups, scale) -> (q, scale)`."""
    layout = as_groups(x, granularity, group_size)
    given = None if scale is None else layout.scale_to_groups(scale)
    q, per_group = codes_from(layout.groups, given)
    return layout.restore(q), layout.scales_back(per_group)


@int8_skill.mistake("quantize_int8", "scale from the mean |x| instead of the max |x| (large values clip)")
def int8_scale_from_mean(x, granularity="row", group_size=None, scale=None):
    def codes(groups, given):
        s = np.mean(np.abs(groups), axis=1) / 127 if given is None else given
        inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
        return np.clip(np.rint(groups * inv[:, None]), -127, 127).astype(np.int8), s.astype(np.float32)

    return _quantize_rows(x, granularity, group_size, scale, codes)


@int8_skill.mistake("quantize_int8", "rounding by truncation toward zero instead of to the nearest integer")
def int8_truncating(x, granularity="row", group_size=None, scale=None):
    def codes(groups, given):
        s = np.max(np.abs(groups), axis=1) / 127 if given is None else given
        inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
        return np.clip(np.trunc(groups * inv[:, None]), -127, 127).astype(np.int8), s.astype(np.float32)

    return _quantize_rows(x, granularity, group_size, scale, codes)


@int8_skill.mistake("quantize_int8", "the int8 range [-128, 127] used in a symmetric scheme (scale max/128: +max clips, -max gives -128)")
def int8_uses_minus_128(x, granularity="row", group_size=None, scale=None):
    def codes(groups, given):
        s = np.max(np.abs(groups), axis=1) / 128 if given is None else given
        inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
        return np.clip(np.rint(groups * inv[:, None]), -128, 127).astype(np.int8), s.astype(np.float32)

    return _quantize_rows(x, granularity, group_size, scale, codes)


@int8_skill.mistake("quantize_int8", "no clamp before the int8 cast: values beyond a calibrated scale wrap around")
def int8_missing_clamp(x, granularity="row", group_size=None, scale=None):
    def codes(groups, given):
        s = np.max(np.abs(groups), axis=1) / 127 if given is None else given
        inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
        return np.rint(groups * inv[:, None]).astype(np.int64).astype(np.int8), s.astype(np.float32)  # wraps mod 256

    return _quantize_rows(x, granularity, group_size, scale, codes)


@int4_skill.mistake("pack_int4", "swapped nibble order: element 2i packed into the high nibble")
def pack_int4_swapped_nibbles(q):
    q = np.asarray(q).astype(np.uint8)
    return ((q[..., 0::2] << 4) | q[..., 1::2]).astype(np.uint8)
