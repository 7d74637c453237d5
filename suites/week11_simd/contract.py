"""Contracts of the week 11 kernels (roadmap Day 71-77: dot_avx2, matmul_avx2, aligned
allocation, INT8 SIMD; the native parts of weeks 9-10: INT8/INT4 matmul).

Common rules:
- float kernels take float32 arrays (any layout: C or Fortran order, strided, starting at an
  unaligned address) and return float32; other dtypes raise TypeError naming the dtype;
- shapes that do not fit raise ValueError naming both shapes;
- `out=`, where offered, is a C-contiguous array of the result's shape and dtype that the
  function fills and returns (the suite passes buffers with canaries around them: writing
  outside `out` is caught); otherwise a new array is returned;
- inputs are never modified.

Integer kernels (int8_kernels, int4_kernels) are exact: int8 values lie in [-127, 127]
(symmetric quantization never produces -128; a -128 raises ValueError, because the AVX2
maddubs trick would saturate on it) and K is at most INT8_MAX_K = 131072 = 2**17, so that
K * 127 * 127 < 2**31 and int32 accumulation cannot overflow.

INT4 packing (llama.cpp's Q4_0 order): element 2j of a row lives in the LOW nibble of byte j,
element 2j+1 in the HIGH nibble; a value q in [-8, 7] is stored as the unsigned nibble q + 8.
Group scales: `scales[i, g]` multiplies elements g*group_size .. (g+1)*group_size - 1 of row i.
"""

from aigc_bench.contract import Skill

INT8_MAX_K = 2**17  # 131072 * 127 * 127 = 2_114_060_288 < 2**31 - 1

dot_skill = Skill(
    "dot",
    weeks=(11,),
    summary="fp32 dot product (dot_avx2)",
    roadmap="Day 71-72: dot_avx2 with FMA and a correct tail loop",
    reference_functions=("torch.dot", "torch.inner"),
)


@dot_skill.function
def dot(x, y):
    """sum_i x[i] * y[i] for float32 vectors x, y of the same length n >= 1 (any stride).

    Returns a float32 scalar (np.float32). Raises ValueError when the lengths differ or an
    input is not 1-D, TypeError for a dtype other than float32.
    """
    raise NotImplementedError


gemv_skill = Skill(
    "gemv",
    weeks=(11,),
    summary="fp32 matrix-vector product",
    roadmap="Day 73: memory-bound kernels (GEMV) and the roofline",
    reference_functions=("torch.mv", "torch.matmul"),
)


@gemv_skill.function
def gemv(a, x, out=None):
    """y = a @ x: a float32 [m, k] (any layout), x float32 [k]; returns float32 [m].

    out: optional C-contiguous float32 [m] to write y into (returned). Raises ValueError
    when k differs between a and x, TypeError for other dtypes.
    """
    raise NotImplementedError


gemm_skill = Skill(
    "gemm",
    weeks=(11,),
    summary="fp32 matrix multiply (matmul_avx2), cache-blocked with packing",
    roadmap="Day 74-75: matmul_avx2(A, B, C, m, k, n), blocking and packing",
    reference_functions=("torch.matmul", "torch.mm"),
)


@gemm_skill.function
def matmul(a, b, out=None):
    """C = A @ B: a float32 [m, k], b float32 [k, n] (any layout); returns float32 [m, n].

    k may be 0 (C is then zero). out: optional C-contiguous float32 [m, n] to write C into
    (returned), the roadmap's `matmul_avx2(A, B, C, m, k, n)`. Raises ValueError when the
    inner dimensions differ, TypeError for other dtypes.
    """
    raise NotImplementedError


aligned_skill = Skill(
    "aligned",
    weeks=(11,),
    summary="aligned allocation; aligned vs unaligned SIMD loads",
    roadmap="Day 76: 32-byte aligned buffers for _mm256_load_ps",
)


@aligned_skill.function
def aligned_empty(shape, dtype="float32", alignment=64):
    """An uninitialised C-contiguous array of `shape` and `dtype` whose first element's
    address is a multiple of `alignment` bytes (a power of two >= 8, else ValueError).
    The memory stays valid as long as the array (or a view of it) is alive.
    """
    raise NotImplementedError


@aligned_skill.function
def sum_aligned(x):
    """Sum of a C-contiguous float32 vector whose address is a multiple of 32 bytes, using
    aligned loads. Returns np.float32. An unaligned or non-contiguous x raises ValueError
    mentioning "aligned" (an aligned load on such an address faults instead)."""
    raise NotImplementedError


@aligned_skill.function
def sum_unaligned(x):
    """Sum of a float32 vector at any address (unaligned loads). Returns np.float32."""
    raise NotImplementedError


int8_skill = Skill(
    "int8_kernels",
    weeks=(11,),
    summary="int8 x int8 -> int32 dot, GEMV and GEMM, with scales (AVX2 maddubs, VNNI)",
    roadmap="Day 76-77: INT8 SIMD; weeks 9-10: W8A8 matmul",
)


@int8_skill.function
def int8_dot(a, b):
    """sum_i a[i] * b[i] computed exactly: a, b int8 vectors of equal length k <= INT8_MAX_K
    with values in [-127, 127]. Returns np.int32. ValueError for -128, a length mismatch or
    k > INT8_MAX_K; TypeError for dtypes other than int8."""
    raise NotImplementedError


@int8_skill.function
def int8_gemv(w, x, out=None):
    """y[i] = sum_j w[i, j] * x[j], exact: w int8 [m, k], x int8 [k]; returns int32 [m].
    Same value rules as int8_dot. out: optional C-contiguous int32 [m]."""
    raise NotImplementedError


@int8_skill.function
def int8_gemv_scaled(w, w_scales, x, x_scale, out=None):
    """Dequantized GEMV: y[i] = w_scales[i] * x_scale * sum_j w[i, j] * x[j], with the sum
    exact in int32 and one float32 rounding of the scale product: returns float32 [m].
    w int8 [m, k], w_scales float32 [m] (per output row), x int8 [k], x_scale a float."""
    raise NotImplementedError


@int8_skill.function
def int8_gemm(a, w, out=None):
    """C = A @ W^T exactly: a int8 [m, k], w int8 [n, k] (nn.Linear's weight layout);
    returns int32 [m, n]. Same value rules as int8_dot. out: optional C-contiguous int32 [m, n]."""
    raise NotImplementedError


int4_skill = Skill(
    "int4_kernels",
    weeks=(11,),
    summary="INT4 packing (two nibbles per byte) and group-scaled dequantize-and-dot GEMV",
    roadmap="Weeks 9-10: INT4 weights; Day 77: quantized kernels",
)


@int4_skill.function
def int4_pack(q):
    """Pack int8 values in [-8, 7], shape [..., k] with k even, into uint8 [..., k // 2]
    (low nibble = even index, stored as q + 8). ValueError for odd k or values out of range."""
    raise NotImplementedError


@int4_skill.function
def int4_unpack(packed):
    """Inverse of int4_pack: uint8 [..., k // 2] -> int8 [..., k] in [-8, 7]."""
    raise NotImplementedError


@int4_skill.function
def int4_gemv(packed, scales, x, group_size, out=None):
    """y[i] = sum_g scales[i, g] * sum_{j in group g} q[i, j] * x[j]  (dequantize-and-dot).

    packed uint8 [m, k // 2] (see the module docstring for the nibble order), scales float32
    [m, k // group_size], x float32 [k]; group_size even and dividing k (else ValueError).
    Returns float32 [m]. out: optional C-contiguous float32 [m]."""
    raise NotImplementedError
