"""Attention on sequences longer than the kernels' blocks (the AVX2 kernel takes
queries 32 and keys 64 at a time with an online softmax): lengths that span
several blocks and end mid-block, keys whose scores grow along the sequence (so
the running maximum changes from block to block and earlier sums must be
rescaled), with causal and padding masks, in float32 and float64."""

import numpy as np
import pytest

from aigc_bench.checks import assert_close

from .test_attention import reference

SKILL = "attention"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("masks", ["none", "causal", "padding", "causal+padding"])
def test_long_sequences_with_growing_scores(impl, rng, dtype, masks):
    batch, lq, lk, d, dv = 2, 97, 203, 40, 24  # Lk spans 4 key blocks of 64 and ends mid-block
    q = rng.standard_normal((batch, lq, d))
    growth = np.linspace(0.5, 4.0, lk)[:, None]  # later keys score higher: the maximum keeps moving
    k = rng.standard_normal((batch, lk, d)) * growth
    v = rng.standard_normal((batch, lk, dv))
    q, k, v = (a.astype(dtype) for a in (q, k, v))
    causal = "causal" in masks
    mask = None
    if "padding" in masks:
        keep = np.array([lk, lk // 2 + 3])  # second sequence padded after 104 keys
        mask = (np.arange(lk) < keep[:, None])[:, None, :]  # [B, 1, Lk]
    out = impl.scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)
    assert out.dtype == q.dtype
    assert_close(out, *reference(impl, q, k, v, mask, causal), inputs=(q, k, v), what=f"attention over {lk} keys ({masks})")
