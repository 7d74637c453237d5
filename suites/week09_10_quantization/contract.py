"""Contracts of the quantization skills (roadmap Day 50-51 and Day 64-68).

Conventions shared by every function here:

- A float array `x` is float32 or float64, any layout, at least one element,
  every value finite (NaN/inf raise ValueError naming the problem).
- Scales are float32 arrays with as many dimensions as the quantized array.
  Each scale covers n/G *consecutive* elements of the last axis, where G is
  the scale's last dimension (G divides n); its other dimensions are 1 or the
  quantized array's. So one layout describes all granularities:

      granularity   x shape      scale shape
      "tensor"      [..., n]     [1, ..., 1]
      "row"         [..., n]     [..., 1]      (per output channel of W [out, in])
      "column"      [r, n]       [1, n]        (per input channel; 2-D only)
      "group"       [..., n]     [..., n/g]    (groups of g consecutive elements)

- Symmetric schemes: scale = max|x| / qmax over the scale's elements, q =
  round(x / scale) (nearest integer; ties either way) clamped to [-qmax, qmax]
  with qmax = 127 (INT8) or 7 (INT4), so that q(-x) = -q(x) and 0 -> 0.
  A group whose values are all zero gets scale 0 and q = 0 (no division by zero).
- Asymmetric (zero-point) schemes cover [min(x, 0), max(x, 0)] with the
  unsigned range [0, 2^bits - 1]: scale = (hi - lo) / (2^bits - 1),
  zero_point = round(-lo / scale), q = clamp(round(x / scale) + zero_point);
  x is recovered as (q - zero_point) * scale. zero_point is int32, shaped like scale.
- INT4 values are packed two per byte, element 2i in the LOW nibble and
  element 2i+1 in the HIGH nibble: byte = q[2i] | q[2i+1] << 4. Symmetric INT4
  stores q + 8 (nibbles 1..15; 8 is zero); asymmetric stores q itself (0..15).
"""

from aigc_bench.contract import Skill

GRANULARITIES = ("tensor", "row", "column", "group")

int8_skill = Skill(
    "quantize_int8",
    weeks=(8, 9, 10),
    summary="INT8 quantization: symmetric per-tensor/row/column/group, asymmetric with a zero point",
    roadmap="Day 50-51 quantizer; Day 64-65: INT8 symmetric quantization (scale, quantize/dequantize, error)",
    reference_functions=("torch.quantize_per_tensor", "torch.quantize_per_channel", "torch.ao.quantization.quantize_dynamic"),
)


@int8_skill.function
def quantize_int8(x, granularity="row", group_size=None, scale=None):
    """Symmetric INT8 quantization: returns (q, scale).

    x: float array [..., n] (2-D for "column"). granularity: one of
    "tensor", "row", "column", "group" (see the module docstring);
    group_size: required for "group", must divide n.
    scale: optional precomputed float32 scale of the shape this granularity
    returns (static quantization with a calibrated scale): values beyond
    127 * scale then SATURATE at +-127 (never wrap around).

    Returns q: int8 array of x's shape, values in [-127, 127], and the float32
    scale. Raises ValueError for NaN/inf, an unknown granularity, a group size
    that does not divide n, an empty array, or a scale of the wrong shape.
    """
    raise NotImplementedError


@int8_skill.function
def quantize_int8_asymmetric(x, granularity="row", group_size=None):
    """Asymmetric (zero-point) INT8: returns (q uint8 in [0, 255], scale float32, zero_point int32).

    Same granularities and errors as quantize_int8; the range [min(x,0), max(x,0)]
    maps onto [0, 255] so that 0.0 is represented exactly (q == zero_point).
    """
    raise NotImplementedError


@int8_skill.function
def dequantize_int8(q, scale, zero_point=None):
    """x_hat = (q - zero_point) * scale (zero_point None: symmetric), float32 of q's shape.

    q: int8 (symmetric) or uint8 (asymmetric) [..., n]; scale (and zero_point)
    laid out as the module docstring says. Raises ValueError when the scale's
    shape does not fit q's.
    """
    raise NotImplementedError


int4_skill = Skill(
    "quantize_int4",
    weeks=(8, 9, 10),
    summary="INT4 group quantization with two values packed per byte",
    roadmap="Day 66-67: INT4 group quantization (groups, pack/unpack, precision vs compression)",
)


@int4_skill.function
def pack_int4(q):
    """Pack 4-bit codes two per byte: [..., n] uint8 in 0..15 (n even) -> [..., n/2] uint8,
    byte i = q[2i] | q[2i+1] << 4 (low nibble first).

    Raises ValueError for an odd n or a code outside 0..15.
    """
    raise NotImplementedError


@int4_skill.function
def unpack_int4(packed):
    """The inverse of pack_int4: [..., m] uint8 -> [..., 2m] uint8 codes in 0..15."""
    raise NotImplementedError


@int4_skill.function
def quantize_int4(x, group_size=32, symmetric=True):
    """Group-wise INT4 along the last axis: returns (packed, scale, zero_point).

    x: float array [..., n]; group_size divides n and is even.
    packed: uint8 [..., n/2] (layout in the module docstring); scale: float32
    [..., n/group_size]; zero_point: None when symmetric (q in [-7, 7] stored
    as q + 8), else int32 [..., n/group_size] in 0..15.
    Raises ValueError for NaN/inf, a group size that does not divide n or is
    odd, an empty array.
    """
    raise NotImplementedError


@int4_skill.function
def dequantize_int4(packed, scale, zero_point=None):
    """The float32 [..., 2m] values of a quantize_int4 result:
    symmetric (nibble - 8) * scale, asymmetric (nibble - zero_point) * scale."""
    raise NotImplementedError


matmul_skill = Skill(
    "quantized_matmul",
    weeks=(8, 9, 10),
    summary="W8A8 integer matmul and weight-only W8A16 / W4A16 matmul",
    roadmap="Day 68: INT8 matrix multiplication",
    reference_functions=("torch._int_mm",),
)


@matmul_skill.function
def int8_matmul(a_q, w_q):
    """The exact integer product a_q @ w_q.T: a_q int8 [m, k], w_q int8 [n, k]
    (nn.Linear layout) -> int32 [m, n], accumulated in int32 (k <= 2^17 cannot
    overflow). Codes are symmetric: in [-127, 127]. Raises ValueError when the k
    dimensions differ, a dtype is not int8, or a code is -128.
    """
    raise NotImplementedError


@matmul_skill.function
def matmul_w8a8(a_q, a_scale, w_q, w_scale):
    """(a_q @ w_q.T) * a_scale * w_scale.T as float32 [m, n]: the integer product
    rescaled once. a_q int8 [m, k] with a_scale float32 [m, 1] (per token);
    w_q int8 [n, k] with w_scale float32 [n, 1] (per output channel).
    """
    raise NotImplementedError


@matmul_skill.function
def matmul_w8a16(x, w_q, w_scale):
    """Weight-only INT8: x @ dequantize_int8(w_q, w_scale).T as float32 [m, n].

    x: float32 [m, k]; w_q int8 [n, k]; w_scale float32 [n, G] (G divides k:
    per output channel when G == 1, groups of k/G otherwise). The weight may
    be dequantized on the fly; the full float weight need not be built.
    """
    raise NotImplementedError


@matmul_skill.function
def matmul_w4a16(x, w_packed, w_scale, w_zero_point=None):
    """Weight-only INT4: x @ dequantize_int4(w_packed, w_scale, w_zero_point).T, float32 [m, n].

    x: float32 [m, k]; w_packed uint8 [n, k/2]; w_scale float32 [n, k/g].
    """
    raise NotImplementedError


error_skill = Skill(
    "quant_error",
    weeks=(8, 9, 10),
    summary="quantization error analysis: max abs error, MSE, NMSE, SQNR, dot-product error, compression",
    roadmap="Day 50-51: accuracy evaluation; Day 64-67: quantization error, precision vs compression",
)


@error_skill.function
def error_metrics(x, x_hat):
    """Error of an approximation x_hat of x (same shape; float arrays), as a dict of floats:

    max_abs_error = max |x - x_hat|
    mse           = mean (x - x_hat)^2
    nmse          = sum (x - x_hat)^2 / sum x^2          (inf when x is all zero and x_hat is not)
    sqnr_db       = 10 log10(sum x^2 / sum (x - x_hat)^2) (inf when x_hat == x)

    Computed in float64. Raises ValueError for different shapes or NaN/inf.
    """
    raise NotImplementedError


@error_skill.function
def dot_product_error(a, b, a_hat, b_hat):
    """llama.cpp's test-quantize-fns dot-product error: |a_hat . b_hat - a . b| / n
    for 1-D float arrays of length n (the quantized dot product against the exact one,
    per element). Raises ValueError for different shapes.
    """
    raise NotImplementedError


@error_skill.function
def compression_ratio(n_weights, weight_bits, n_scales, scale_bits=32, zero_point_bits=0, original_bits=32):
    """(bits per weight, compression ratio) counting the scales and zero points:

    bits_per_weight = (n_weights * weight_bits + n_scales * (scale_bits + zero_point_bits)) / n_weights
    ratio           = original_bits / bits_per_weight

    Raises ValueError for n_weights <= 0 or negative counts.
    """
    raise NotImplementedError
