"""Common mistakes in the week 11 kernels, each written the way it shows up in C, on top of the
NumPy reference. `pytest suites/week11_simd --impl mistakes` must fail every one of them; the
C-level ones that cannot be expressed in NumPy (writing past the end of C, an aligned load on
an unaligned address) are broken C kernels in tests/test_week11_broken_kernels.py."""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from impls.simd_args import aligned_vector, alignment_arg, float_vectors, gemv_args, int4_gemv_args, int4_values, int8_gemm_args, int8_gemv_args, int8_operands, matmul_args, scales_args, typed

from .contract import aligned_skill, dot_skill, gemm_skill, gemv_skill, int4_skill, int8_skill

VECTOR = 8  # floats per AVX2 register


@dot_skill.mistake("dot", "no tail loop: the elements after the last full 8-wide vector are dropped")
def dot_without_tail(x, y):
    x, y = float_vectors(x, y)
    full = x.shape[0] - x.shape[0] % VECTOR
    return np.float32(np.dot(x[:full], y[:full]))


@dot_skill.mistake("dot", "tail loop off by one (i < n - 1): the last element is dropped")
def dot_tail_off_by_one(x, y):
    x, y = float_vectors(x, y)
    n = x.shape[0] - 1 if x.shape[0] % VECTOR else x.shape[0]
    return np.float32(np.dot(x[:n], y[:n]))


@gemv_skill.mistake("gemv", "reads A as if its rows were contiguous (ignores its strides)")
def gemv_ignores_strides(a, x, out=None):
    a, x, out = gemv_args(a, x, out)
    m, k = a.shape
    raw = as_strided(a, shape=(m, k), strides=(k * 4, 4))  # the pointer walked as if row-major
    np.matmul(raw, x, out=out)
    return out


@gemv_skill.mistake("gemv", "rows after the last block of four are never computed")
def gemv_skips_last_rows(a, x, out=None):
    a, x, out = gemv_args(a, x, out)
    full = a.shape[0] - a.shape[0] % 4
    out[:full] = a[:full] @ x
    return out


@gemm_skill.mistake("matmul", "C += A @ B on an output that was never zeroed")
def matmul_accumulates_into_unzeroed_c(a, b, out=None):
    a, b, out = matmul_args(a, b, out)
    out += a @ b
    return out


@gemm_skill.mistake("matmul", "the k loop stops at the last multiple of 8: the k tail is dropped")
def matmul_drops_k_tail(a, b, out=None):
    a, b, out = matmul_args(a, b, out)
    full = a.shape[1] - a.shape[1] % VECTOR
    np.matmul(a[:, :full], b[:full], out=out)
    return out


@gemm_skill.mistake("matmul", "edge tiles skipped: rows/columns past the last full 6x16 tile are never written")
def matmul_skips_edge_tiles(a, b, out=None):
    a, b, out = matmul_args(a, b, out)
    m, n = out.shape
    rows, cols = m - m % 6, n - n % 16
    out[:rows, :cols] = a[:rows] @ b[:, :cols]
    return out


@aligned_skill.mistake("aligned_empty", "aligned offset computed as address % alignment instead of -address % alignment")
def aligned_empty_wrong_offset(shape, dtype="float32", alignment=64):
    alignment = alignment_arg(alignment)
    dtype = np.dtype(dtype)
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + 2 * alignment, dtype=np.uint8)
    skip = raw.ctypes.data % alignment
    return raw[skip : skip + nbytes].view(dtype).reshape(shape)


@aligned_skill.mistake("sum_aligned", "aligned-only path without an alignment check (faults on an unaligned address)")
def sum_aligned_unchecked(x):
    x = typed(x, np.float32, "x")
    return np.float32(np.sum(x))


@int8_skill.mistake("int8_dot", "int16 accumulator (maddubs then add_epi16 instead of madd into int32): wraps")
def int8_dot_int16_accumulator(a, b):
    a, b = int8_operands(("a", a), ("b", b))
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} and b has shape {b.shape}")
    exact = int(np.dot(a.astype(np.int64), b.astype(np.int64)))
    return np.int32(np.int64(exact).astype(np.int16))  # two's complement wrap to 16 bits


@int8_skill.mistake("int8_dot", "-128 not rejected (the maddubs sign trick saturates on it)")
def int8_dot_accepts_minus_128(a, b):
    a, b = typed(a, np.int8, "a"), typed(b, np.int8, "b")
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} and b has shape {b.shape}")
    return np.int32(np.dot(a.astype(np.int32), b.astype(np.int32)))


@int8_skill.mistake("int8_gemv", "x read as unsigned bytes (maddubs without moving the sign onto w)")
def int8_gemv_unsigned_x(w, x, out=None):
    w, x, out = int8_gemv_args(w, x, out)
    np.matmul(w.astype(np.int32), x.view(np.uint8).astype(np.int32), out=out)
    return out


@int8_skill.mistake("int8_gemm", "W used as [k, n] (A @ W) instead of nn.Linear's [n, k] (A @ W^T)")
def int8_gemm_without_transpose(a, w, out=None):
    a, w = int8_operands(("a", a), ("w", w))
    result = a.astype(np.int32) @ w.astype(np.int32)
    if out is not None:
        out[...] = result
        return out
    return result


@int8_skill.mistake("int8_gemv_scaled", "the activation scale x_scale is forgotten")
def int8_gemv_scaled_without_x_scale(w, w_scales, x, x_scale, out=None):
    w, x, out = int8_gemv_args(w, x, out, np.float32)
    w_scales, _ = scales_args(w, w_scales, x_scale)
    np.multiply((w.astype(np.int32) @ x.astype(np.int32)).astype(np.float32), w_scales, out=out)
    return out


@int4_skill.mistake("int4_pack", "nibble order swapped: the even element goes into the high nibble")
def int4_pack_high_first(q):
    q = int4_values(q).astype(np.int16)
    return (((q[..., 0::2] + 8) << 4) | (q[..., 1::2] + 8)).astype(np.uint8)


@int4_skill.mistake("int4_unpack", "nibble order swapped: the high nibble is read as the even element")
def int4_unpack_high_first(packed):
    packed = typed(packed, np.uint8, "packed")
    nibbles = np.stack([packed >> 4, packed & 0x0F], axis=-1).reshape(packed.shape[:-1] + (2 * packed.shape[-1],))
    return (nibbles.astype(np.int16) - 8).astype(np.int8)


@int4_skill.mistake("int4_gemv", "nibbles used as unsigned 0..15: the +8 offset is not removed")
def int4_gemv_without_offset(packed, scales, x, group_size, out=None):
    packed, scales, x, out = int4_gemv_args(packed, scales, x, group_size, out)
    q = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(packed.shape[0], -1).astype(np.float32)
    np.matmul(q * np.repeat(scales, group_size, axis=1), x, out=out)
    return out


@int4_skill.mistake("int4_gemv", "one scale per row: the first group's scale is used for every group")
def int4_gemv_one_scale_per_row(packed, scales, x, group_size, out=None):
    packed, scales, x, out = int4_gemv_args(packed, scales, x, group_size, out)
    q = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(packed.shape[0], -1).astype(np.float32) - 8
    np.matmul(q * scales[:, :1], x, out=out)
    return out
