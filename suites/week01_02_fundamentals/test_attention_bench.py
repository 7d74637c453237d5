"""Attention speed (marker `bench`, run with --bench): every selected backend --
NumPy, Numba, C AVX2, the torch-built one, a learner's -- and, as the peer in the
same group, torch.nn.functional.scaled_dot_product_attention, at sequence lengths
64, 256 and 1024 (4 heads of d = 64, float32, no mask).

Everything runs on one thread (torch, and NumPy's BLAS through threadpoolctl):
the compiled backends are single-threaded kernels, and on a shared machine extra
threads mostly measure contention. Each backend's output is checked (the
suite's tolerance rule) before it is timed.
GFLOP/s counts the two matrix products, 4 * heads * L * L * d (softmax not
counted), and is recorded per test; the session section `attention_speed` keeps
each backend's median time and its ratio to torch's in the same run.

    python -m pytest suites/week01_02_fundamentals/test_attention_bench.py --bench
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from aigc_bench.checks import assert_close

from .test_attention import reference

SKILL = "attention"
LENGTHS = (64, 256, 1024)
HEADS, HEAD_DIM = 4, 64
ROUNDS = {64: 50, 256: 10, 1024: 3}  # the explicit-loop backends take ~1 s a call at L=1024
PEER = "torch-sdpa"

pytestmark = pytest.mark.bench

_medians: dict[tuple[int, str], float] = {}  # (length, backend) -> median seconds


def inputs(length):
    """q, k, v: float32 [1, heads, L, d]."""
    rng = np.random.default_rng(length)
    return tuple(rng.standard_normal((1, HEADS, length, HEAD_DIM)).astype(np.float32) for _ in range(3))


def gflop(length: int) -> float:
    return 4 * HEADS * length * length * HEAD_DIM / 1e9


def timed(benchmark, record_metric, name, length, fn, *args):
    benchmark.group = f"attention L={length} ({HEADS} heads, d={HEAD_DIM}, float32)"
    benchmark.extra_info.update(backend=name, length=length, heads=HEADS, head_dim=HEAD_DIM, gflop=gflop(length), threads=torch.get_num_threads())
    benchmark.pedantic(fn, args=args, rounds=ROUNDS[length], warmup_rounds=1)
    median = benchmark.stats.stats.median
    _medians[(length, name)] = median
    record_metric("gflops", gflop(length) / median, "GFLOP/s", "higher", length=length)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module", autouse=True)
def speed_table(run_record):
    """After the module: each backend's median and its ratio to torch's (same run)."""
    yield
    rows = []
    for (length, name), median in sorted(_medians.items()):
        peer = _medians.get((length, PEER))
        rows.append({"length": length, "backend": name, "median_ms": median * 1e3, "gflops": gflop(length) / median, "time_vs_torch": median / peer if peer else None})
    if rows:
        run_record.add_section("attention_speed", rows)


@pytest.mark.parametrize("length", LENGTHS)
def test_attention_speed(impl, benchmark, record_metric, length):
    q, k, v = inputs(length)
    out = impl.scaled_dot_product_attention(q, k, v)  # guarded: checked before it is timed
    assert_close(out, *reference(impl, q, k, v), inputs=(q, k, v))
    timed(benchmark, record_metric, impl.name, length, impl.raw("scaled_dot_product_attention"), q, k, v)


@pytest.mark.parametrize("length", LENGTHS)
def test_torch_sdpa_speed(benchmark, record_metric, length):
    q, k, v = (torch.from_numpy(a) for a in inputs(length))
    timed(benchmark, record_metric, PEER, length, F.scaled_dot_product_attention, q, k, v)
