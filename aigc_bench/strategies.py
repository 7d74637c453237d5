"""Hypothesis strategies shared by every suite (minitorch's tests/strategies.py idea).

Arrays are drawn as (shape, seed, layout) and built with NumPy's generator, which
is fast for large arrays and shrinks well: hypothesis shrinks the shape and the
seed, not millions of floats. Layouts cover what kernels get wrong:
C-contiguous, transposed (Fortran order), strided (every other element), and an
offset start (a view one element into a larger buffer: unaligned for SIMD).

The run's seed (`--hypothesis-seed`, printed in the pytest header) replays any failure.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

FLOAT_DTYPES = (np.float32, np.float64)
LAYOUTS = ("contiguous", "fortran", "strided", "offset")

# Lengths that break vectorised code: 1, just under/over the SIMD widths, primes.
AWKWARD_LENGTHS = (1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 97, 127)


def lengths(max_value: int = 128) -> st.SearchStrategy[int]:
    """A length: often an awkward one (1, non-multiples of 8/16, primes), sometimes any."""
    awkward = [n for n in AWKWARD_LENGTHS if n <= max_value]
    return st.one_of(st.sampled_from(awkward), st.integers(1, max_value))


def dtypes() -> st.SearchStrategy:
    return st.sampled_from(FLOAT_DTYPES)


def layouts() -> st.SearchStrategy[str]:
    return st.sampled_from(LAYOUTS)


def with_layout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values as `a`, laid out in memory as `layout` says."""
    if layout == "contiguous" or a.ndim == 0:
        return np.ascontiguousarray(a)
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "strided":
        big = np.empty(a.shape[:-1] + (a.shape[-1] * 2,), dtype=a.dtype)
        big[..., ::2] = a
        big[..., 1::2] = np.nan  # a kernel reading the gaps produces NaN
        return big[..., ::2]
    if layout == "offset":
        flat = np.empty(a.size + 1, dtype=a.dtype)
        view = flat[1:].reshape(a.shape)
        view[...] = a
        return view
    raise ValueError(f"unknown layout {layout!r}")


def make_array(shape, dtype, seed: int, scale: float = 1.0, layout: str = "contiguous") -> np.ndarray:
    values = np.random.default_rng(seed).standard_normal(shape) * scale
    return with_layout(values.astype(dtype), layout)


@st.composite
def arrays(draw, shape, dtype=None, scale=None, layout=None):
    """An array of the given shape (or a strategy for one), normal values times `scale`."""
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else tuple(shape)
    dtype = dtype or draw(dtypes())
    scale = scale if scale is not None else draw(st.sampled_from([1.0, 1.0, 0.01, 10.0]))
    layout = layout or draw(layouts())
    return make_array(shape, dtype, draw(st.integers(0, 2**32 - 1)), scale, layout)


def batch_dims(max_dims: int = 2, max_size: int = 3) -> st.SearchStrategy[tuple]:
    return st.lists(st.integers(1, max_size), max_size=max_dims).map(tuple)


@st.composite
def attention_inputs(draw, max_len: int = 48, max_dim: int = 40, same_length: bool = False):
    """(q, k, v) with shapes [..., Lq, d], [..., Lk, d], [..., Lk, dv] and a common dtype and layout."""
    batch = draw(batch_dims())
    lq = draw(lengths(max_len))
    lk = lq if same_length else draw(lengths(max_len))
    d, dv = draw(lengths(max_dim)), draw(lengths(max_dim))
    dtype, layout = draw(dtypes()), draw(layouts())
    seed = draw(st.integers(0, 2**32 - 1))
    q = make_array(batch + (lq, d), dtype, seed, 1.0, layout)
    k = make_array(batch + (lk, d), dtype, seed + 1, 1.0, layout)
    v = make_array(batch + (lk, dv), dtype, seed + 2, 1.0, layout)
    return q, k, v


@st.composite
def logits(draw, max_len: int = 300):
    """Logit arrays [..., n] including huge magnitudes (softmax must not overflow)."""
    shape = draw(batch_dims()) + (draw(lengths(max_len)),)
    scale = draw(st.sampled_from([1.0, 5.0, 100.0, 1e4]))
    return draw(arrays(st.just(shape), scale=scale))


def padding_mask(rng: np.random.Generator, batch: tuple, lq: int, lk: int) -> np.ndarray:
    """A boolean padding mask [..., 1, Lk]: each sequence keeps a random-length prefix."""
    keep = rng.integers(1, lk + 1, size=batch)
    return (np.arange(lk) < keep[..., None])[..., None, :]
