"""The engine's quantized decode kernels (native/engine.c for INT8, native/int8.c's INT4
GEMV) against the same weights dequantized and multiplied by BLAS, on awkward shapes
(k not a multiple of 8, n not a multiple of 4) and every decode batch size."""

import numpy as np
import pytest

from aigc_bench import native
from impls.numpy import engine

pytestmark = pytest.mark.skipif(native.unavailable_reason("avx2", "fma") is not None, reason=str(native.unavailable_reason("avx2", "fma")))


@pytest.mark.parametrize("linear", [engine.Int8Linear, engine.Int4Linear], ids=["int8", "int4"])
@pytest.mark.parametrize("k,n", [(64, 4), (96, 7), (768, 2304), (128, 13)])
def test_native_decode_product_equals_dequantized_blas(linear, k, n):
    if linear is engine.Int8Linear:
        k = k + 3  # INT8 takes any k; INT4 needs groups of 32
    rng = np.random.default_rng(k * n)
    layer = linear(rng.standard_normal((k, n)).astype(np.float32) * 0.05, rng.standard_normal(n).astype(np.float32))
    for m in range(1, engine.NATIVE_MAX_ROWS + 1):
        x = rng.standard_normal((m, k)).astype(np.float32)
        expected = x.astype(np.float64) @ layer.dequantized().astype(np.float64) + layer.bias
        got = layer(x)
        bound = 1e-5 * np.abs(x).sum(axis=1, keepdims=True).max() * np.abs(layer.dequantized()).max() + 1e-6
        assert np.max(np.abs(got - expected)) <= bound, f"{linear.__name__} native product of {m} rows, k={k}, n={n} differs by {np.max(np.abs(got - expected)):.2e} > {bound:.2e}"


def test_quantized_decode_steps_match_quantized_prefill():
    """Decode (native kernels) and prefill (dequantized BLAS) of the same int8 model agree."""
    model = engine.load_model(config="tiny", weights="int8", seed=3)
    ids = np.arange(1, 20)
    full = model.forward(ids, model.new_cache(), 0)
    cache = model.new_cache()
    model.forward(ids[:5], cache, 0)
    steps = np.stack([model.forward(ids[p : p + 1], cache, p)[0] for p in range(5, 19)])
    np.testing.assert_allclose(steps, full[5:], rtol=1e-4, atol=1e-4)
