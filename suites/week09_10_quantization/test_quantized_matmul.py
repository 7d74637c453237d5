"""Quantized matrix multiplication (roadmap Day 68): W8A8 exact against an integer
reference; W8A16 / W4A16 against the float64 product of the dequantized weight;
all of them against the fp32 matmul within the documented quantization error."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_close, assert_exact, assert_raises_clearly, fail
from impls.numpy import quantize_int4 as ref4
from impls.numpy import quantize_int8 as ref8

from .quant_checks import EPS32, gaussian

SKILL = "quantized_matmul"

# Relative Frobenius error vs the fp32 matmul on Gaussian x [m, k] and W [n, k]
# (measured by the numpy reference with k = 256: W8A8 ~0.6%, W8A16 ~0.4%, W4A16 g32 ~8%).
MAX_REL_ERROR_VS_FP32 = {"w8a8": 0.015, "w8a16": 0.01, "w4a16_g32": 0.12}


def dot_bound(x, w):
    """The float32 worst-case error of the products x @ w.T: k * eps * (|x| @ |w|.T), the
    floor for kernels that accumulate in another order than BLAS."""
    k = x.shape[1]
    return float(k * EPS32 * np.max(np.abs(x).astype(np.float64) @ np.abs(w).astype(np.float64).T))


def rel_error(out, ref):
    return float(np.linalg.norm(out.astype(np.float64) - ref) / np.linalg.norm(ref))


@settings(max_examples=25, deadline=None)
@given(m=S.lengths(20), n=S.lengths(20), k=S.lengths(300), seed=st.integers(0, 2**32 - 1), extreme=st.booleans())
def test_int8_matmul_is_exact(impl, m, n, k, seed, extreme):
    rng = np.random.default_rng(seed)
    if extreme:  # every product +-127 * 127: the largest possible sums
        a = (rng.choice([-127, 127], (m, k))).astype(np.int8)
        w = (rng.choice([-127, 127], (n, k))).astype(np.int8)
    else:
        a, w = rng.integers(-127, 128, (m, k)).astype(np.int8), rng.integers(-127, 128, (n, k)).astype(np.int8)
    out = impl.int8_matmul(a, w)
    if out.dtype != np.int32:
        fail(f"int8_matmul must return int32, got {out.dtype}")
    assert_exact(out, (a.astype(np.int64) @ w.astype(np.int64).T).astype(np.int32), what="int8 a @ w.T")


def test_int8_matmul_rejects_bad_operands(impl):
    a, w = np.ones((2, 8), np.int8), np.ones((3, 9), np.int8)
    assert_raises_clearly(ValueError, impl.int8_matmul, a, w, match_any=("k", "dimension", "shape"), what="k = 8 vs 9")
    assert_raises_clearly(ValueError, impl.int8_matmul, a.astype(np.int16), w[:, :8], match_any=("int8",), what="int16 operands")
    bad = a.copy()
    bad[0, 0] = -128
    assert_raises_clearly(ValueError, impl.int8_matmul, bad, w[:, :8], match_any=("-128", "127"), what="a -128 code")


def _w8a8_operands(rng, m=16, n=24, k=256):
    x, w = gaussian(rng, (m, k)), gaussian(rng, (n, k))
    a_q, a_scale = ref8.quantize_int8(x, "row")  # per token
    w_q, w_scale = ref8.quantize_int8(w, "row")  # per output channel
    return x, w, a_q, a_scale, w_q, w_scale


def test_w8a8_rescales_the_integer_product(impl, rng, record_metric):
    x, w, a_q, a_scale, w_q, w_scale = _w8a8_operands(rng)
    out = impl.matmul_w8a8(a_q, a_scale, w_q, w_scale)
    exact = (a_q.astype(np.float64) @ w_q.astype(np.float64).T) * a_scale.astype(np.float64) * w_scale.astype(np.float64).T
    assert_close(out, exact, inputs=(x,), what="W8A8 vs the rescaled integer product")
    err = rel_error(out, x.astype(np.float64) @ w.astype(np.float64).T)
    record_metric("w8a8_rel_error_vs_fp32", err, "", "lower")
    if err > MAX_REL_ERROR_VS_FP32["w8a8"]:
        fail(f"W8A8 relative error vs fp32 {err:.4f} > {MAX_REL_ERROR_VS_FP32['w8a8']}")


@pytest.mark.parametrize("groups", [1, 8], ids=["per_channel", "g32"])
def test_w8a16_matches_dequantized_weight(impl, rng, groups, record_metric):
    x, w = gaussian(rng, (8, 256)), gaussian(rng, (24, 256))
    w_q, w_scale = ref8.quantize_int8(w, "row") if groups == 1 else ref8.quantize_int8(w, "group", group_size=256 // groups)
    out = impl.matmul_w8a16(x, w_q, w_scale)
    w_hat = ref8.dequantize_int8(w_q, w_scale).astype(np.float64)
    assert_close(out, x.astype(np.float64) @ w_hat.T, inputs=(x,), floor=dot_bound(x, w_hat), what="W8A16 vs x @ dequantized(W).T")
    err = rel_error(out, x.astype(np.float64) @ w.astype(np.float64).T)
    record_metric("w8a16_rel_error_vs_fp32", err, "", "lower")
    if err > MAX_REL_ERROR_VS_FP32["w8a16"]:
        fail(f"W8A16 relative error vs fp32 {err:.4f} > {MAX_REL_ERROR_VS_FP32['w8a16']}")


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "asymmetric"])
def test_w4a16_matches_dequantized_weight(impl, rng, symmetric, record_metric):
    x, w = gaussian(rng, (8, 256)), gaussian(rng, (24, 256))
    packed, scale, zp = ref4.quantize_int4(w, group_size=32, symmetric=symmetric)
    out = impl.matmul_w4a16(x, packed, scale, zp)
    w_hat = ref4.dequantize_int4(packed, scale, zp).astype(np.float64)
    assert_close(out, x.astype(np.float64) @ w_hat.T, inputs=(x,), floor=dot_bound(x, w_hat), what="W4A16 vs x @ dequantized(W).T")
    err = rel_error(out, x.astype(np.float64) @ w.astype(np.float64).T)
    record_metric("w4a16_g32_rel_error_vs_fp32", err, "", "lower")
    if err > MAX_REL_ERROR_VS_FP32["w4a16_g32"]:
        fail(f"W4A16 g32 relative error vs fp32 {err:.4f} > {MAX_REL_ERROR_VS_FP32['w4a16_g32']}")


def test_weight_only_rejects_mismatched_shapes(impl):
    w_q, w_scale = np.ones((4, 16), np.int8), np.ones((4, 1), np.float32)
    assert_raises_clearly(ValueError, impl.matmul_w8a16, np.ones((2, 15), np.float32), w_q, w_scale, match_any=("shape", "match", "k"), what="x [2, 15] with W [4, 16]")
    assert_raises_clearly(ValueError, impl.matmul_w4a16, np.ones((2, 16), np.float32), np.ones((4, 8), np.uint8), np.ones((4, 3), np.float32), match_any=("divide", "shape", "fit"), what="3 groups for k = 16")
