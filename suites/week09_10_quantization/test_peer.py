"""The peer: PyTorch's dynamic INT8 quantization of nn.Linear
(torch.ao.quantization.quantize_dynamic: INT8 weight per tensor, activations
quantized per tensor on the fly), against our quantized matmuls on a real
MiniLM layer (encoder.layer.0.intermediate.dense, [1536, 384]) fed with real
hidden states. Error in the default run; speed behind --bench."""

import numpy as np
import pytest

from aigc_bench.checks import fail
from impls.numpy import quantize_int4 as reference4
from impls.numpy import quantize_int8 as reference8

from . import real_models as R

SKILL = "quantized_matmul"
LAYER = "encoder.layer.0.intermediate.dense.weight"
BENCH_GROUP = "quantized linear: 128 tokens x 384 -> 1536 (MiniLM FFN)"


@pytest.fixture(scope="module")
def layer():
    """(x [tokens, 384] real hidden states entering layer 1, W [1536, 384], torch peer Linear)."""
    import torch

    model = R.minilm_model()
    sentences = [q for q, _ in R.code_search_pairs()[:16]]
    features = model.tokenize(sentences)
    with torch.no_grad():
        out = model[0].auto_model(input_ids=features["input_ids"], attention_mask=features["attention_mask"], output_hidden_states=True)
    x = out.hidden_states[1][features["attention_mask"].bool()].numpy().astype(np.float32)  # [tokens, 384]
    w = R.minilm_state()[LAYER]
    linear = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(w))
    peer = R.torch_dynamic_int8(torch.nn.Sequential(linear))
    return x, w, peer


def _relative_error(out, ref):
    return float(np.linalg.norm(np.asarray(out, np.float64) - ref) / np.linalg.norm(ref))


def test_error_side_by_side_with_torch_dynamic_int8(impl, layer, record_metric, run_record):
    import torch

    x, w, peer = layer
    ref = x.astype(np.float64) @ w.astype(np.float64).T  # [tokens, 1536]
    with torch.no_grad():
        peer_out = peer(torch.from_numpy(x)).numpy()
    a_q, a_scale = reference8.quantize_int8(x, "row")  # per token
    w_q, w_scale = reference8.quantize_int8(w, "row")  # per output channel
    w_q32, w_scale32 = reference8.quantize_int8(w, "group", group_size=32)
    packed, scale4, _ = reference4.quantize_int4(w, 32)
    errors = {
        "torch_dynamic_int8": _relative_error(peer_out, ref),
        "w8a8_per_channel": _relative_error(impl.matmul_w8a8(a_q, a_scale, w_q, w_scale), ref),
        "w8a16_per_channel": _relative_error(impl.matmul_w8a16(x, w_q, w_scale), ref),
        "w8a16_g32": _relative_error(impl.matmul_w8a16(x, w_q32, w_scale32), ref),
        "w4a16_g32": _relative_error(impl.matmul_w4a16(x, packed, scale4), ref),
    }
    for name, value in errors.items():
        record_metric(f"{name}_rel_error", value, "", "lower")
    run_record.add_section("quantization_peer_error", {"impl": impl.name, "layer": LAYER, "tokens": int(x.shape[0]), "relative_error": errors})
    # per-channel weights and per-token activations must be at least as accurate as torch's per-tensor scheme
    if errors["w8a8_per_channel"] > errors["torch_dynamic_int8"] * 1.05:
        fail(f"W8A8 (per channel / per token) relative error {errors['w8a8_per_channel']:.4f} is worse than "
             f"torch's dynamic per-tensor INT8 {errors['torch_dynamic_int8']:.4f}")
    if not errors["w8a16_per_channel"] <= errors["w8a8_per_channel"]:
        fail("weight-only INT8 must not be less accurate than W8A8 (it keeps the activations in float)")


# --------------------------------------------------------------------------- speed (--bench)


@pytest.fixture(scope="module")
def bench_inputs(layer):
    x, w, peer = layer
    x = np.ascontiguousarray(np.resize(x, (128, x.shape[1])))  # 128 tokens
    a_q, a_scale = reference8.quantize_int8(x, "row")
    w_q, w_scale = reference8.quantize_int8(w, "row")
    packed, scale4, _ = reference4.quantize_int4(w, 32)
    return {"x": x, "w": w, "peer": peer, "a_q": a_q, "a_scale": a_scale, "w_q": w_q, "w_scale": w_scale, "packed": packed, "scale4": scale4}


@pytest.mark.bench
@pytest.mark.parametrize("kernel", ["matmul_w8a8", "matmul_w8a16", "matmul_w4a16"])
def test_bench_quantized_linear(impl, bench_inputs, kernel, benchmark):
    b = bench_inputs
    args = {
        "matmul_w8a8": (b["a_q"], b["a_scale"], b["w_q"], b["w_scale"]),
        "matmul_w8a16": (b["x"], b["w_q"], b["w_scale"]),
        "matmul_w4a16": (b["x"], b["packed"], b["scale4"]),
    }[kernel]
    fn = impl.raw(kernel)
    ref = b["x"].astype(np.float64) @ b["w"].astype(np.float64).T
    if _relative_error(fn(*args), ref) > 0.15:  # validate before timing
        fail(f"{kernel} output is too far from the fp32 product to be worth timing")
    benchmark.group = BENCH_GROUP
    benchmark.extra_info["kernel"] = kernel
    benchmark(fn, *args)


@pytest.mark.bench
@pytest.mark.parametrize("peer_name", ["torch_dynamic_int8", "torch_fp32", "numpy_fp32"])
def test_bench_peers(bench_inputs, peer_name, benchmark):
    import torch

    b = bench_inputs
    x_t, w_t = torch.from_numpy(b["x"]), torch.from_numpy(b["w"])
    fn = {
        "torch_dynamic_int8": lambda: b["peer"](x_t),
        "torch_fp32": lambda: torch.nn.functional.linear(x_t, w_t),
        "numpy_fp32": lambda: b["x"] @ b["w"].T,
    }[peer_name]
    benchmark.group = BENCH_GROUP
    benchmark.extra_info["kernel"] = peer_name
    with torch.no_grad():
        benchmark(fn)
