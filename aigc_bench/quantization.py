"""Helpers shared by the quantization skills' implementations, the quantize
command and the week 8-10 suite (suites/week09_10_quantization/contract.py has
the conventions).

- `validate_float` / `as_groups`: the input checks every quantizer needs, and
  the one layout all granularities reduce to: a contiguous float32 matrix of
  groups [G, g], each row sharing one scale. A backend quantizes rows of that
  matrix; `GroupLayout.restore` puts the codes back into x's shape.
- `scale_rows`: a scale (or zero point) as one row of group scales per row of
  the quantized array, after checking that its layout fits.
- `linear_weights` / `sqnr_db`: the 2-D weight matrices of a safetensors model
  and the signal-to-quantization-noise ratio, for the tool and the suite.
- `plot_precision_vs_compression`: SQNR / cosine against bits per weight.

Nothing here imports torch: implementations may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

GRANULARITIES = ("tensor", "row", "column", "group")


def validate_float(x, what: str = "x") -> np.ndarray:
    """x as an array, after the checks every quantizer makes (ValueError naming the problem)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise ValueError(f"{what} must be a float array, got dtype {x.dtype}")
    if x.size == 0 or x.ndim == 0:
        raise ValueError(f"{what} is empty (shape {x.shape}): nothing to quantize")
    finite = np.isfinite(x)
    if not finite.all():
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(f"{what} contains NaN or inf (first at index {bad}, value {x[bad]!r}): cannot compute a scale")
    return x


@dataclass
class GroupLayout:
    """x rearranged as groups [G, g] (each row shares a scale) and the way back."""

    groups: np.ndarray  # float32 [G, g], C-contiguous
    scale_shape: tuple  # the shape of the scale array the contract returns
    restore: Callable[[np.ndarray], np.ndarray]  # [G, g] codes -> x's shape

    def scale_to_groups(self, scale) -> np.ndarray:
        """A caller's precomputed scale (scale_shape) as one float32 per group [G]."""
        scale = np.asarray(scale, dtype=np.float32)
        if scale.shape != self.scale_shape:
            raise ValueError(f"scale has shape {scale.shape}, expected {self.scale_shape} for this granularity")
        validate_float(scale, "scale")
        if np.any(scale < 0):
            raise ValueError("scale must be non-negative")
        return np.ascontiguousarray(scale.reshape(-1))

    def scales_back(self, per_group: np.ndarray) -> np.ndarray:
        return np.asarray(per_group, dtype=np.float32).reshape(self.scale_shape)


def as_groups(x, granularity: str, group_size: int | None = None) -> GroupLayout:
    """The GroupLayout of x [..., n] for a granularity (see the contract's table)."""
    x = validate_float(x)
    x32 = np.asarray(x, dtype=np.float32)
    shape, n = x.shape, x.shape[-1]
    if granularity == "tensor":
        return GroupLayout(np.ascontiguousarray(x32.reshape(1, -1)), (1,) * x.ndim, lambda q: q.reshape(shape))
    if granularity == "row":
        return GroupLayout(np.ascontiguousarray(x32.reshape(-1, n)), shape[:-1] + (1,), lambda q: q.reshape(shape))
    if granularity == "column":
        if x.ndim != 2:
            raise ValueError(f"granularity 'column' needs a 2-D array, got shape {shape}")
        # one group per column: the transpose's rows
        return GroupLayout(np.ascontiguousarray(x32.T), (1, n), lambda q: np.ascontiguousarray(q.reshape(n, -1).T))
    if granularity == "group":
        check_group_size(n, group_size)
        return GroupLayout(
            np.ascontiguousarray(x32.reshape(-1, group_size)), shape[:-1] + (n // group_size,), lambda q: q.reshape(shape)
        )
    raise ValueError(f"unknown granularity {granularity!r}; expected one of {GRANULARITIES}")


def check_group_size(n: int, group_size, even: bool = False) -> None:
    if group_size is None or int(group_size) != group_size or group_size <= 0:
        raise ValueError(f"group_size must be a positive integer, got {group_size!r}")
    if n % group_size:
        raise ValueError(f"group_size {group_size} does not divide the last dimension {n}")
    if even and group_size % 2:
        raise ValueError(f"group_size {group_size} is odd: INT4 packs two values per byte")


def scale_rows(shape: tuple, scale, what: str = "scale", dtype=np.float32) -> np.ndarray:
    """`scale` [..., G] (leading dimensions 1 or equal to `shape`'s) as a contiguous
    [rows, G] array, rows = prod(shape[:-1]): row r of the quantized array, viewed
    as [rows, n], uses scale row r, each entry covering n/G consecutive elements."""
    scale = np.asarray(scale)
    n = shape[-1]
    if scale.ndim != len(shape):
        raise ValueError(f"{what} has {scale.ndim} dimensions, expected {len(shape)} (shape {shape})")
    groups = scale.shape[-1]
    if groups == 0 or n % groups:
        raise ValueError(f"{what}'s last dimension {groups} does not divide the quantized array's {n}")
    for s, d in zip(scale.shape[:-1], shape[:-1]):
        if s not in (1, d):
            raise ValueError(f"{what} has shape {scale.shape}, which does not fit the quantized array's {shape}")
    if scale.dtype.kind == "f" and not np.all(np.isfinite(scale)):
        raise ValueError(f"{what} contains NaN or inf")
    full = np.broadcast_to(scale.astype(dtype, copy=False), tuple(shape[:-1]) + (groups,))
    return np.ascontiguousarray(full.reshape(-1, groups))


# --------------------------------------------------------------------------- models


def linear_weights(state: dict, include_embeddings: bool = False) -> list[str]:
    """Names of the 2-D `.weight` matrices of a state dict that a weight quantizer
    handles (linear layers; embedding tables only when asked)."""
    names = []
    for name, value in state.items():
        if not name.endswith("weight") or len(value.shape) != 2:
            continue
        if "embeddings" in name and not include_embeddings:
            continue
        names.append(name)
    return names


def sqnr_db(x, x_hat) -> float:
    """10 log10(sum x^2 / sum (x - x_hat)^2) in float64 (inf for an exact copy)."""
    x = np.asarray(x, dtype=np.float64)
    noise = float(np.sum((x - np.asarray(x_hat, dtype=np.float64)) ** 2))
    signal = float(np.sum(x * x))
    if noise == 0.0:
        return float("inf")
    return 10.0 * np.log10(signal / noise) if signal > 0 else float("-inf")


# --------------------------------------------------------------------------- plots


def plot_precision_vs_compression(points: list[dict], path, metric: str = "sqnr_db") -> Path:
    """Save a plot of `metric` (e.g. "sqnr_db", "mean_cosine") against bits per
    weight, one marker per method. points: dicts with "method", "bits_per_weight"
    and the metric. Returns the file written (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    usable = [p for p in points if p.get(metric) is not None and np.isfinite(p[metric])]
    if not usable:
        raise ValueError(f"no point has a finite {metric!r} to plot")
    fig, ax = plt.subplots(figsize=(6, 4))
    for p in sorted(usable, key=lambda p: p["bits_per_weight"]):
        ax.scatter(p["bits_per_weight"], p[metric], s=40)
        ax.annotate(p["method"], (p["bits_per_weight"], p[metric]), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xlabel("bits per weight (scales and zero points counted)")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(f"{metric.replace('_', ' ')} vs bits per weight")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- the contract around kernels

INT4_OFFSET = 8  # symmetric INT4 codes -7..7 are stored as nibbles 1..15


def int8_api(symmetric_codes, asymmetric_codes, dequantize_codes):
    """The contract's (quantize_int8, quantize_int8_asymmetric, dequantize_int8) around a
    backend's kernels, which all work on the groups matrix [G, g]:

      symmetric_codes(groups, qmax, scale [G] or None) -> (q [G, g] ints, scale [G] float32)
      asymmetric_codes(groups, levels) -> (q [G, g] ints, scale [G], zero_point [G] int32)
      dequantize_codes(codes [..., n], scale, zero_point or None) -> float32 [..., n]

    Every backend shares this plumbing (layouts, checks, dtypes); the math is the kernels'."""

    def quantize_int8(x, granularity="row", group_size=None, scale=None):
        layout = as_groups(x, granularity, group_size)
        given = None if scale is None else layout.scale_to_groups(scale)
        q, per_group = symmetric_codes(layout.groups, 127, given)
        return layout.restore(np.asarray(q).astype(np.int8)), layout.scales_back(per_group)

    def quantize_int8_asymmetric(x, granularity="row", group_size=None):
        layout = as_groups(x, granularity, group_size)
        q, scale, zero_point = asymmetric_codes(layout.groups, 255)
        return layout.restore(np.asarray(q).astype(np.uint8)), layout.scales_back(scale), np.asarray(zero_point, np.int32).reshape(layout.scale_shape)

    def dequantize_int8(q, scale, zero_point=None):
        q = np.asarray(q)
        if q.dtype not in (np.int8, np.uint8):
            raise ValueError(f"q must be int8 or uint8, got {q.dtype}")
        return dequantize_codes(np.ascontiguousarray(q), scale, zero_point)

    return quantize_int8, quantize_int8_asymmetric, dequantize_int8


def int4_api(symmetric_codes, asymmetric_codes, dequantize_codes, pack_rows, unpack_rows):
    """The contract's (pack_int4, unpack_int4, quantize_int4, dequantize_int4) around the
    kernels of int8_api plus pack_rows(codes [R, n] uint8) -> [R, n/2] and unpack_rows."""

    def pack_int4(q):
        q = np.asarray(q)
        if q.ndim == 0 or q.shape[-1] % 2:
            raise ValueError(f"pack_int4 needs an even last dimension, got shape {q.shape}")
        if q.size and (q.min() < 0 or q.max() > 15):
            raise ValueError(f"pack_int4 takes 4-bit codes 0..15, got values in [{q.min()}, {q.max()}]")
        rows = np.ascontiguousarray(q.astype(np.uint8).reshape(-1, q.shape[-1]))
        return np.asarray(pack_rows(rows)).reshape(q.shape[:-1] + (q.shape[-1] // 2,))

    def unpack_int4(packed):
        packed = np.asarray(packed)
        if packed.dtype != np.uint8:
            raise ValueError(f"packed INT4 data must be uint8, got {packed.dtype}")
        rows = np.ascontiguousarray(packed.reshape(-1, packed.shape[-1]))
        return np.asarray(unpack_rows(rows)).reshape(packed.shape[:-1] + (2 * packed.shape[-1],))

    def quantize_int4(x, group_size=32, symmetric=True):
        x = validate_float(x)
        check_group_size(x.shape[-1], group_size, even=True)
        layout = as_groups(x, "group", group_size)  # groups [G, g]
        if symmetric:
            q, scale = symmetric_codes(layout.groups, 7, None)
            codes, zero_point = np.asarray(q) + INT4_OFFSET, None
        else:
            codes, scale, zero_point = asymmetric_codes(layout.groups, 15)
            zero_point = np.asarray(zero_point, np.int32).reshape(layout.scale_shape)
        packed = pack_int4(layout.restore(np.asarray(codes).astype(np.uint8)))
        return packed, layout.scales_back(scale), zero_point

    def dequantize_int4(packed, scale, zero_point=None):
        codes = unpack_int4(packed)  # [..., n] nibbles 0..15
        if zero_point is None:
            zero_point = np.full(np.shape(scale), INT4_OFFSET, dtype=np.int32)  # symmetric: nibble 8 is zero
        return dequantize_codes(codes, scale, zero_point)

    return pack_int4, unpack_int4, quantize_int4, dequantize_int4
