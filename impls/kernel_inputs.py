"""How the compiled backends (Numba loops, C kernels through cffi) receive arrays.

Kernels are written for the simplest layout: C-contiguous rows, or a flat
batch of [L, d] matrices. These helpers check the contract's shapes (raising
the errors it names) and reshape any input -- leading batch dimensions,
transposed, strided or offset views -- into that layout, and back.
"""

from __future__ import annotations

import math

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_array(x, what: str = "input") -> np.ndarray:
    """`x` as a NumPy array of float32 or float64; TypeError naming the dtype otherwise."""
    x = np.asarray(x)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{what} has dtype {x.dtype}; expected float32 or float64")
    return x


def as_rows(x: np.ndarray, axis: int) -> tuple[np.ndarray, tuple]:
    """A C-contiguous [rows, n] copy (or view) of `x` with `axis` last, and the moved shape."""
    moved = np.moveaxis(x, axis, -1)  # raises AxisError (a ValueError) for a bad axis
    n = moved.shape[-1]
    rows = int(math.prod(moved.shape[:-1]))
    return np.ascontiguousarray(moved).reshape(rows, n), moved.shape


def from_rows(rows: np.ndarray, moved_shape: tuple, axis: int) -> np.ndarray:
    """Undo `as_rows`: the [rows, n] result back in the caller's shape (C-contiguous)."""
    return np.ascontiguousarray(np.moveaxis(rows.reshape(moved_shape), -1, axis))


def attention_batch(q, k, v, mask=None):
    """Check attention's shapes and flatten its leading dimensions.

    Returns (batch_shape, q3 [B, Lq, d], k3 [B, Lk, d], v3 [B, Lk, dv],
    allowed3 [B, Lq, Lk] bool or None), all C-contiguous, with B the product of
    the leading dimensions. Raises ValueError when the shapes do not fit and
    TypeError for a non-float or mixed dtype.
    """
    q, k, v = float_array(q, "q"), float_array(k, "k"), float_array(v, "v")
    for name, a in (("q", q), ("k", k), ("v", v)):
        if a.ndim < 2:
            raise ValueError(f"{name} has shape {a.shape}; attention needs at least [L, d]")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"q, k, v must share a dtype; got {q.dtype}, {k.dtype}, {v.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q has head dimension {q.shape[-1]} but k has {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k has {k.shape[-2]} keys but v has {v.shape[-2]} values")
    batch = q.shape[:-2]
    if k.shape[:-2] != batch or v.shape[:-2] != batch:
        raise ValueError(f"leading dimensions differ: q {q.shape}, k {k.shape}, v {v.shape}")
    n = int(math.prod(batch))
    (lq, d), (lk, dv) = q.shape[-2:], v.shape[-2:]
    q3 = np.ascontiguousarray(q).reshape(n, lq, d)
    k3 = np.ascontiguousarray(k).reshape(n, lk, d)
    v3 = np.ascontiguousarray(v).reshape(n, lk, dv)
    allowed = None
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        try:
            full = np.broadcast_to(mask, batch + (lq, lk))
        except ValueError:
            raise ValueError(f"mask of shape {mask.shape} does not broadcast to {batch + (lq, lk)}") from None
        allowed = np.ascontiguousarray(full).reshape(n, lq, lk)
    return batch, q3, k3, v3, allowed
