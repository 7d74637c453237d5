"""Argument checks shared by every backend of the week 11 kernels (suites/week11_simd/contract.py).

Each backend calls these first, so that bad input gets the same clear error everywhere and
the kernels themselves only ever see arrays of the right dtype and shape."""

from __future__ import annotations

import numpy as np

INT8_MAX_K = 2**17  # see the contract: K * 127 * 127 < 2**31


def typed(x, dtype, what: str) -> np.ndarray:
    """`x` as an array of exactly `dtype`; TypeError naming the dtype otherwise (no silent casts)."""
    if type(x) is not np.ndarray:
        x = np.asarray(x)
    if x.dtype.type is not dtype or not x.dtype.isnative:  # dtype is a scalar type: a cheap test per call
        raise TypeError(f"{what} has dtype {x.dtype}; expected {np.dtype(dtype).name} in native byte order")
    return x


def ndim(x: np.ndarray, n: int, what: str, dims: str) -> np.ndarray:
    if x.ndim != n:
        raise ValueError(f"{what} has shape {x.shape}; expected {dims}")
    return x


def output(out, shape: tuple, dtype, what: str = "out") -> np.ndarray:
    """The caller's `out` buffer, checked, or a new array."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray) or out.shape != tuple(shape) or out.dtype != np.dtype(dtype):
        got = f"{out.shape} {out.dtype}" if isinstance(out, np.ndarray) else type(out).__name__
        raise ValueError(f"{what} must be a {np.dtype(dtype).name} array of shape {tuple(shape)}; got {got}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{what} must be a writable C-contiguous array")
    return out


def float_vectors(x, y):
    """dot's operands: float32, 1-D, same length."""
    x, y = typed(x, np.float32, "x"), typed(y, np.float32, "y")
    ndim(x, 1, "x", "[n]"), ndim(y, 1, "y", "[n]")
    if x.shape != y.shape:
        raise ValueError(f"x has shape {x.shape} but y has shape {y.shape}")
    return x, y


def gemv_args(a, x, out):
    a, x = typed(a, np.float32, "a"), typed(x, np.float32, "x")
    ndim(a, 2, "a", "[m, k]"), ndim(x, 1, "x", "[k]")
    if a.shape[1] != x.shape[0]:
        raise ValueError(f"a has shape {a.shape} but x has shape {x.shape}: k differs")
    return a, x, output(out, (a.shape[0],), np.float32)


def matmul_args(a, b, out):
    a, b = typed(a, np.float32, "a"), typed(b, np.float32, "b")
    ndim(a, 2, "a", "[m, k]"), ndim(b, 2, "b", "[k, n]")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}: inner dimensions differ")
    return a, b, output(out, (a.shape[0], b.shape[1]), np.float32)


def int8_operands(*named: tuple[str, object], k: int | None = None) -> list[np.ndarray]:
    """int8 arrays with values in [-127, 127] and a reduction length k <= INT8_MAX_K."""
    arrays = []
    for what, value in named:
        value = typed(value, np.int8, what)
        if value.size and value.min() == -128:
            raise ValueError(f"{what} contains -128: int8 operands must lie in [-127, 127] (symmetric quantization)")
        arrays.append(value)
    if k is not None and k > INT8_MAX_K:
        raise ValueError(f"k = {k} exceeds INT8_MAX_K = {INT8_MAX_K}: int32 accumulation could overflow")
    return arrays


def int8_gemv_args(w, x, out, out_dtype=np.int32):
    w, x = int8_operands(("w", w), ("x", x))
    ndim(w, 2, "w", "[m, k]"), ndim(x, 1, "x", "[k]")
    if w.shape[1] != x.shape[0]:
        raise ValueError(f"w has shape {w.shape} but x has shape {x.shape}: k differs")
    int8_operands(k=x.shape[0])
    return w, x, output(out, (w.shape[0],), out_dtype)


def int8_gemm_args(a, w, out):
    a, w = int8_operands(("a", a), ("w", w))
    ndim(a, 2, "a", "[m, k]"), ndim(w, 2, "w", "[n, k]")
    if a.shape[1] != w.shape[1]:
        raise ValueError(f"a has shape {a.shape} but w has shape {w.shape}: k differs (w is [n, k])")
    int8_operands(k=a.shape[1])
    return a, w, output(out, (a.shape[0], w.shape[0]), np.int32)


def scales_args(w, w_scales, x_scale):
    w_scales = ndim(typed(w_scales, np.float32, "w_scales"), 1, "w_scales", "[m]")
    if w_scales.shape[0] != w.shape[0]:
        raise ValueError(f"w_scales has shape {w_scales.shape} but w has {w.shape[0]} rows")
    return w_scales, np.float32(x_scale)


def int4_values(q) -> np.ndarray:
    q = np.asarray(q)
    if q.dtype.kind not in "iu":
        raise TypeError(f"q has dtype {q.dtype}; expected integers in [-8, 7]")
    if q.ndim == 0 or q.shape[-1] % 2:
        raise ValueError(f"q has shape {q.shape}; the last dimension must be even (two nibbles per byte)")
    if q.size and (q.min() < -8 or q.max() > 7):
        raise ValueError(f"q has values in [{q.min()}, {q.max()}]; int4 holds [-8, 7]")
    return q


def int4_gemv_args(packed, scales, x, group_size, out):
    packed = ndim(typed(packed, np.uint8, "packed"), 2, "packed", "[m, k // 2]")
    x = ndim(typed(x, np.float32, "x"), 1, "x", "[k]")
    scales = ndim(typed(scales, np.float32, "scales"), 2, "scales", "[m, k // group_size]")
    m, k = packed.shape[0], 2 * packed.shape[1]
    if x.shape[0] != k:
        raise ValueError(f"packed has shape {packed.shape} (k = {k}) but x has shape {x.shape}")
    if group_size <= 0 or group_size % 2 or k % group_size:
        raise ValueError(f"group_size {group_size} must be even and divide k = {k}")
    if scales.shape != (m, k // group_size):
        raise ValueError(f"scales has shape {scales.shape}; expected {(m, k // group_size)} for group_size {group_size}")
    return packed, scales, x, output(out, (m,), np.float32)


def is_aligned(x: np.ndarray, alignment: int) -> bool:
    return x.ctypes.data % alignment == 0


def aligned_vector(x) -> np.ndarray:
    """sum_aligned's operand: float32, 1-D, contiguous, 32-byte aligned."""
    x = ndim(typed(x, np.float32, "x"), 1, "x", "[n]")
    if not x.flags.c_contiguous or not is_aligned(x, 32):
        raise ValueError(
            f"x must be a contiguous float32 vector aligned to 32 bytes for aligned loads; "
            f"its address is {x.ctypes.data % 32} bytes past a 32-byte boundary"
            + ("" if x.flags.c_contiguous else " and it is not contiguous")
        )
    return x


def alignment_arg(alignment: int) -> int:
    if alignment < 8 or alignment & (alignment - 1):
        raise ValueError(f"alignment {alignment} must be a power of two >= 8")
    return int(alignment)
