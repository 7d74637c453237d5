"""Speed of the transformer's elementwise layers (marker `bench`, run with --bench):
RoPE, LayerNorm, RMSNorm and GELU on GPT-2 small activation shapes, float32,
for every selected backend, with torch (HF's rotary code for RoPE) as the peer
in the same pytest-benchmark group.

Everything runs on one thread: the Numba kernels are single-threaded loops, and
on shared cores torch's thread pool mostly measures contention (it was 100x
slower than one thread here). Each backend's output is checked with the suite's
rule before it is timed. The peer runs first in each group; every backend then
records `time_vs_torch` = its median / torch's median in the same run.

    python -m pytest suites/week01_02_fundamentals/test_layers_bench.py --bench
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from aigc_bench.checks import assert_close

from .references import torch_single_thread
from .test_gelu import gelu_reference
from .test_norms import layer_norm_reference, rms_norm_reference
from .test_positional import check_rope

pytestmark = pytest.mark.bench

ROPE_SHAPE = (12, 512, 64)  # GPT-2 small's queries: 12 heads x 512 tokens x head_dim 64
NORM_SHAPE = (512, 768)  # the residual stream of 512 tokens
GELU_SHAPE = (512, 3072)  # the MLP's hidden activation of 512 tokens

_peer_median: dict[str, float] = {}  # group -> torch's median seconds


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    with torch_single_thread():
        yield


def activations(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def norm_args(function):
    x, weight, bias = activations(NORM_SHAPE), activations(NORM_SHAPE[-1:], 1), activations(NORM_SHAPE[-1:], 2)
    return (x, weight, bias) if function == "layer_norm" else (x, weight)


def timed(benchmark, record_metric, group, fn, *args, peer=False, **kwargs):
    benchmark.group = group
    benchmark.extra_info.update(group=group, threads=torch.get_num_threads(), peer=peer)
    benchmark(fn, *args, **kwargs)
    median = benchmark.stats.stats.median
    if peer:
        _peer_median[group] = median
    elif group in _peer_median:
        record_metric("time_vs_torch", median / _peer_median[group], "x", "lower", group=group)


# --------------------------------------------------------------------------- torch peers (run first)


def test_rope_torch_peer(benchmark, record_metric):
    """HF Llama's rotary embedding (cos/sin) and its rotation, for the queries alone."""
    from transformers import LlamaConfig
    from transformers.models.llama import modeling_llama

    heads, length, dim = ROPE_SHAPE
    q = torch.from_numpy(activations((1,) + ROPE_SHAPE))
    rotary = modeling_llama.LlamaRotaryEmbedding(LlamaConfig(hidden_size=heads * dim, num_attention_heads=heads, head_dim=dim))
    positions = torch.arange(length)[None]

    def hf_rope():  # apply_rotary_pos_emb's formula, without rotating a second tensor k
        cos, sin = (t.unsqueeze(1) for t in rotary(q, positions))
        return q * cos + modeling_llama.rotate_half(q) * sin

    timed(benchmark, record_metric, f"RoPE {ROPE_SHAPE}", hf_rope, peer=True)


@pytest.mark.parametrize("function", ["layer_norm", "rms_norm"])
def test_norm_torch_peer(benchmark, record_metric, function):
    x, weight, *bias = (torch.from_numpy(a) for a in norm_args(function))
    d = NORM_SHAPE[-1:]
    fn = (lambda: F.layer_norm(x, d, weight, bias[0], 1e-5)) if function == "layer_norm" else (lambda: F.rms_norm(x, d, weight, 1e-6))
    timed(benchmark, record_metric, f"{function} {NORM_SHAPE}", fn, peer=True)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_torch_peer(benchmark, record_metric, approximate):
    x = torch.from_numpy(activations(GELU_SHAPE))
    timed(benchmark, record_metric, f"gelu({approximate}) {GELU_SHAPE}", F.gelu, x, approximate=approximate, peer=True)


# --------------------------------------------------------------------------- backends


@pytest.mark.skill("positional")
def test_rope_speed(impl, benchmark, record_metric):
    x = activations(ROPE_SHAPE)
    check_rope(impl, x, None)
    timed(benchmark, record_metric, f"RoPE {ROPE_SHAPE}", impl.raw("apply_rope"), x)


@pytest.mark.skill("norms")
@pytest.mark.parametrize("function", ["layer_norm", "rms_norm"])
def test_norm_speed(impl, benchmark, record_metric, function):
    args = norm_args(function)
    reference = layer_norm_reference(*args, 1e-5) if function == "layer_norm" else rms_norm_reference(*args, 1e-6)
    assert_close(getattr(impl, function)(*args), *reference, inputs=args[:1], what=f"{function} before timing")
    timed(benchmark, record_metric, f"{function} {NORM_SHAPE}", impl.raw(function), *args)


@pytest.mark.skill("gelu")
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_speed(impl, benchmark, record_metric, approximate):
    x = activations(GELU_SHAPE)
    assert_close(impl.gelu(x, approximate=approximate), *gelu_reference(x, approximate), inputs=(x,), what="gelu before timing")
    timed(benchmark, record_metric, f"gelu({approximate}) {GELU_SHAPE}", impl.raw("gelu"), x, approximate)
