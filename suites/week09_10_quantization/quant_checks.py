"""Checks and data shared by the quantization suite's tests.

Thresholds are anchored on llama.cpp's tests/test-quantize-fns.cpp, which
quantizes 4096 values 0.1 + 2 cos(i) (and a second vector at offset 1.0) and
requires, for its 8-bit-class types (and Q4_0 alike):
  total error  sqrt(sum (x - x_hat)^2) / n   < 0.002   (note: divided by n, not sqrt(n))
  dot error    |x_hat . y_hat - x . y| / n    < 0.02
"""

import numpy as np
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import fail
from aigc_bench.quantization import scale_rows

LLAMA_TEST_SIZE = 32 * 128
LLAMA_MAX_TOTAL_ERROR = 0.002
LLAMA_MAX_DOT_ERROR = 0.02
EPS32 = float(np.finfo(np.float32).eps)


def llama_test_data(offset: float, n: int = LLAMA_TEST_SIZE) -> np.ndarray:
    """llama.cpp's generate_data: 0.1 + 2 cos(i + offset), float32."""
    return (0.1 + 2 * np.cos(np.arange(n, dtype=np.float32) + np.float32(offset))).astype(np.float32)


def llama_total_error(x, x_hat) -> float:
    """llama.cpp's array_rmse: sqrt(SSE) / n (its 'RMS' is the true RMS / sqrt(n))."""
    d = np.asarray(x, np.float64) - np.asarray(x_hat, np.float64)
    return float(np.sqrt(np.sum(d * d)) / d.size)


def gaussian(rng, shape) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def heavy_tailed(rng, shape) -> np.ndarray:
    """Student-t with 3 degrees of freedom: outliers of 10-30 sigma, as in real activations/weights."""
    return rng.standard_t(3, size=shape).astype(np.float32)


def full_scale(shape, scale, zero_point=None):
    """The scale (and zero point) of every element: arrays of `shape`."""
    rows = scale_rows(shape, scale)  # [rows, G]
    width = shape[-1] // rows.shape[1]
    s = np.repeat(rows, width, axis=1).reshape(shape)
    if zero_point is None:
        return s, None
    zp = np.repeat(scale_rows(shape, zero_point, "zero_point", np.int64), width, axis=1).reshape(shape)
    return s, zp


def assert_round_trip(x, x_hat, scale_per_element, what="round trip"):
    """|x - x_hat| <= scale/2 + float rounding, element by element."""
    x64 = np.asarray(x, np.float64)
    err = np.abs(x64 - np.asarray(x_hat, np.float64))
    bound = scale_per_element.astype(np.float64) * (0.5 + 1e-5) + 64 * EPS32 * np.max(np.abs(x64))
    over = err > bound
    if over.any():
        i = tuple(int(v) for v in np.argwhere(over)[0])
        ratio = err[i] / max(float(scale_per_element[i]), 1e-300)
        symptom = (
            "a whole scale or more: values clip (scale too small) or wrap around"
            if ratio > 0.999
            else "more than half a step: q is not the NEAREST integer to x/scale (truncation?)"
        )
        fail(
            f"{what}: |x - dequantize(quantize(x))| = {err[i]:.4g} at {i} exceeds scale/2 = {scale_per_element[i] / 2:.4g} "
            f"(x = {x64[i]!r}, got {float(x_hat[i])!r}; error = {ratio:.3f} x scale, {symptom})"
        )


def shapes_for(granularity: str, group_size: int) -> st.SearchStrategy:
    rows = st.integers(1, 6)
    if granularity == "group":
        return st.tuples(rows, st.integers(1, 5).map(lambda k: k * group_size))
    return st.tuples(rows, S.lengths(80))


@st.composite
def quantizer_inputs(draw, granularity: str, group_sizes=(1, 2, 4, 8, 16, 32)):
    """(x, group_size): awkward shapes and layouts, scales 0.01-10, sometimes an all-zero row
    and an outlier 50x the rest."""
    group_size = draw(st.sampled_from(group_sizes))
    x = draw(S.arrays(shapes_for(granularity, group_size)))
    x = np.array(x)  # writable copy in the drawn dtype
    if draw(st.booleans()):
        x[0] = 0.0  # an all-zero row (and so all-zero groups)
    if draw(st.booleans()):
        x.flat[draw(st.integers(0, x.size - 1))] *= 50.0  # an outlier
    return S.with_layout(x, draw(S.layouts())), group_size
