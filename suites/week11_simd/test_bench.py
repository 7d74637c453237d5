"""Week 11 benchmarks (run with --bench): each kernel over a size sweep, single-threaded, in
GFLOP/s or GB/s and as a percentage of this machine's measured limits (the `calibration`
fixture), next to NumPy/OpenBLAS and PyTorch timed in the same test. Every point goes into
the roofline plot (reports/week11_roofline.png/.svg and the record's "roofline" section).

Targets (issue 3), recorded as metrics and in the "week11_targets" section, never asserted:
  fp32 GEMM 1024^3 >= 0.8x OpenBLAS and >= 70% of peak; fp32 GEMV 4096^2 >= 80% of the
  triad bandwidth; INT8 GEMV 4096^2 >= 3x the same backend's fp32 GEMV.

Timing: best of 5 interleaved rounds over the peers (calibration.timed_together), so load
from other processes hits every peer alike; NumPy's BLAS is pinned to one thread with
threadpoolctl and torch with set_num_threads(1), so every peer runs on one core."""

from contextlib import contextmanager

import numpy as np
import pytest
import torch

from aigc_bench import registry
from aigc_bench.calibration import perf_counters, perf_unavailable_reason, timed_together
from aigc_bench.implementation import Implementation

from .kernel_checks import NMSE_LIMITS, assert_integers_exact, assert_nmse, exact_matmul, f64, int8_values

pytestmark = pytest.mark.bench

GEMM_SIZES = (128, 256, 512, 1024)
GEMV_SIZES = (512, 1024, 2048, 4096)
DOT_SIZES = (4096, 1 << 16, 1 << 22)
TARGETS = {
    "gemm_1024_vs_openblas": 0.8,
    "gemm_1024_pct_peak": 70.0,
    "gemv_4096_pct_bandwidth": 80.0,
    "int8_gemv_4096_speedup_vs_fp32": 3.0,
}


@contextmanager
def one_thread():
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(previous)


def _target(run_record, record_metric, impl, name, value):
    goal = TARGETS[name]
    met = bool(value >= goal)
    record_metric(f"target_{name}", value, "x" if "vs" in name or "speedup" in name else "%", "higher", target=goal, met=met)
    run_record.add_section("week11_targets", {"impl": impl.name, "target": name, "value": value, "goal": goal, "met": met})
    print(f"target {name} [{impl.name}]: {value:.2f} (goal >= {goal}) -> {'MET' if met else 'NOT MET'}")


def _report(roofline, record_metric, kernel, size, rows, calibration, flops, nbytes, unit="GFLOP/s"):
    """rows: {peer: seconds}. Records GFLOP/s (or GOP/s), GB/s, % of peak and of bandwidth."""
    peak, bandwidth = calibration["peak_gflops_fp32"], calibration["triad_gbytes_per_s"]
    line = [f"{kernel} {size}:"]
    for peer, seconds in rows.items():
        rate, gbs = flops / seconds * 1e-9, nbytes / seconds * 1e-9
        record_metric(f"{kernel}_{size}_{peer}_{unit.split('/')[0].lower()}", rate, unit, "higher")
        record_metric(f"{kernel}_{size}_{peer}_gbytes_per_s", gbs, "GB/s", "higher")
        roofline.append({"label": f"{peer} {size}", "group": kernel, "peer": peer, "size": size, "intensity": flops / nbytes,
                         "gflops": rate, "gbytes_per_s": gbs, "seconds": seconds,
                         "pct_peak": 100 * rate / peak, "pct_bandwidth": 100 * gbs / bandwidth})
        line.append(f"{peer} {rate:7.2f} {unit} ({100 * rate / peak:5.1f}% peak) {gbs:6.2f} GB/s ({100 * gbs / bandwidth:5.1f}% bw)")
    print("  ".join(line))


@pytest.mark.skill("gemm")
def test_bench_gemm_sweep(impl, calibration, roofline, record_metric, run_record, rng):
    matmul = impl.raw("matmul")
    with one_thread():
        for n in GEMM_SIZES:
            a, b = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)
            out, peer_out = np.empty((n, n), np.float32), np.empty((n, n), np.float32)
            ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.empty(n, n)
            matmul(a, b, out=out)  # validated before it is timed
            assert_nmse(out, (f64(a) @ f64(b)).numpy(), limit=NMSE_LIMITS["matmul"], scale=(f64(a).abs() @ f64(b).abs()).numpy(), what=f"C at {n}^3")
            rows = timed_together({
                impl.name: lambda: matmul(a, b, out=out),
                "numpy-openblas": lambda: np.matmul(a, b, out=peer_out),
                "torch": lambda: torch.matmul(ta, tb, out=tc),
            })
            _report(roofline, record_metric, "gemm", n, rows, calibration, 2.0 * n**3, 3 * 4 * n * n)
    seconds = rows[impl.name]
    _target(run_record, record_metric, impl, "gemm_1024_vs_openblas", rows["numpy-openblas"] / seconds)
    _target(run_record, record_metric, impl, "gemm_1024_pct_peak", 100 * 2.0 * 1024**3 / seconds * 1e-9 / calibration["peak_gflops_fp32"])
    avx2_peak = calibration["peak_gflops_fp32_avx2"]
    if avx2_peak:
        record_metric("gemm_1024_pct_avx2_peak", 100 * 2.0 * 1024**3 / seconds * 1e-9 / avx2_peak, "%", "higher")


@pytest.mark.skill("gemv")
def test_bench_gemv_sweep(impl, calibration, roofline, record_metric, run_record, rng):
    gemv = impl.raw("gemv")
    with one_thread():
        for n in GEMV_SIZES:
            a, x = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal(n).astype(np.float32)
            y = np.empty(n, np.float32)
            gemv(a, x, out=y)
            assert_nmse(y, (f64(a) @ f64(x)).numpy(), limit=NMSE_LIMITS["gemv"], scale=(f64(a).abs() @ f64(x).abs()).numpy(), what=f"gemv at {n}^2")
            ta, tx = torch.from_numpy(a), torch.from_numpy(x)
            y_peer, ty = np.empty(n, np.float32), torch.empty(n)
            rows = timed_together({
                impl.name: lambda: gemv(a, x, out=y),
                "numpy-openblas": lambda: np.matmul(a, x, out=y_peer),
                "torch": lambda: torch.mv(ta, tx, out=ty),
            })
            _report(roofline, record_metric, "gemv", n, rows, calibration, 2.0 * n * n, 4 * (n * n + 2 * n))
    gbs = 4 * (4096 * 4096 + 2 * 4096) / rows[impl.name] * 1e-9
    _target(run_record, record_metric, impl, "gemv_4096_pct_bandwidth", 100 * gbs / calibration["triad_gbytes_per_s"])


@pytest.mark.skill("dot")
def test_bench_dot_sweep(impl, calibration, roofline, record_metric, rng):
    dot = impl.raw("dot")
    with one_thread():
        for n in DOT_SIZES:
            x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            rows = timed_together({impl.name: lambda: dot(x, y), "numpy-openblas": lambda: np.dot(x, y), "torch": lambda: torch.dot(tx, ty)})
            _report(roofline, record_metric, "dot", n, rows, calibration, 2.0 * n, 8 * n)


@pytest.mark.skill("int8_kernels")
def test_bench_int8_gemv_against_fp32(impl, calibration, roofline, record_metric, run_record, rng):
    """INT8 GEMV moves a quarter of fp32's bytes: memory-bound, it should run about 4x faster."""
    int8_gemv = impl.raw("int8_gemv")
    fp32_gemv = Implementation(impl.backend, registry.skills()["gemv"]).raw("gemv") if impl.backend.provides("gemv") else None
    with one_thread():
        for n in (1024, 4096):
            w, x = int8_values(rng, (n, n)), int8_values(rng, n)
            y = np.empty(n, np.int32)
            int8_gemv(w, x, out=y)
            assert_integers_exact(y, exact_matmul(w, x), what=f"int8_gemv at {n}^2")
            wf, xf = w.astype(np.float32), x.astype(np.float32)
            tw, tx = torch.from_numpy(w), torch.from_numpy(x)
            calls = {
                impl.name: lambda: int8_gemv(w, x, out=y),
                "numpy-int32": lambda: w.astype(np.int32) @ x.astype(np.int32),
                "torch-int32": lambda: torch.mv(tw.int(), tx.int()),
            }
            if fp32_gemv is not None:  # timed in the same interleaved rounds: the ratio is the target
                yf = np.empty(n, np.float32)
                calls["fp32"] = lambda: fp32_gemv(wf, xf, out=yf)
            rows = timed_together(calls, repeats=3)
            fp32_seconds = rows.pop("fp32", None)
            _report(roofline, record_metric, "int8_gemv", n, rows, calibration, 2.0 * n * n, n * n + n + 4 * n, unit="GOP/s")
            if fp32_seconds is not None:
                print(f"int8_gemv {n}: {fp32_seconds / rows[impl.name]:.2f}x {impl.name}'s fp32 gemv")
    if fp32_gemv is not None:
        _target(run_record, record_metric, impl, "int8_gemv_4096_speedup_vs_fp32", fp32_seconds / rows[impl.name])


@pytest.mark.skill("int4_kernels")
def test_bench_int4_gemv(impl, calibration, roofline, record_metric, rng):
    int4_gemv = impl.raw("int4_gemv")
    n, group = 4096, 32
    q = rng.integers(-8, 8, (n, n)).astype(np.int8)
    packed = ((q[:, 0::2].astype(np.int16) + 8) | ((q[:, 1::2].astype(np.int16) + 8) << 4)).astype(np.uint8)
    scales = rng.uniform(0.01, 0.1, (n, n // group)).astype(np.float32)
    x = rng.standard_normal(n).astype(np.float32)
    dequantized = q.astype(np.float32) * np.repeat(scales, group, axis=1)
    with one_thread():
        y = np.empty(n, np.float32)
        int4_gemv(packed, scales, x, group, out=y)
        assert_nmse(y, (f64(dequantized) @ f64(x)).numpy(), limit=NMSE_LIMITS["int4_gemv"], scale=(f64(dequantized).abs() @ f64(x).abs()).numpy(), what="int4_gemv at 4096^2")
        y_peer, t_deq, tx = np.empty(n, np.float32), torch.from_numpy(dequantized), torch.from_numpy(x)
        rows = timed_together({
            impl.name: lambda: int4_gemv(packed, scales, x, group, out=y),
            "numpy-fp32-dequantized": lambda: np.matmul(dequantized, x, out=y_peer),
            "torch-fp32-dequantized": lambda: torch.mv(t_deq, tx),
        })
    _report(roofline, record_metric, "int4_gemv", n, rows, calibration, 2.0 * n * n, packed.nbytes + scales.nbytes + 8 * n)


@pytest.mark.skill("aligned")
def test_bench_aligned_vs_unaligned_loads(impl, calibration, roofline, record_metric, rng):
    """The same reduction with aligned and unaligned loads, on an aligned and a 4-byte-offset buffer."""
    for n in (4096, 1 << 22):  # L1-resident and memory-resident
        buffer = impl.aligned_empty((n + 8,), "float32", 64)
        buffer[:] = rng.standard_normal(n + 8).astype(np.float32)
        aligned, offset = buffer[:n], buffer[1 : n + 1]
        sum_aligned, sum_unaligned, t_aligned = impl.raw("sum_aligned"), impl.raw("sum_unaligned"), torch.from_numpy(aligned)
        rows = timed_together({
            f"{impl.name}-aligned-loads": lambda: sum_aligned(aligned),
            f"{impl.name}-unaligned-loads": lambda: sum_unaligned(aligned),
            f"{impl.name}-unaligned-loads-offset-buffer": lambda: sum_unaligned(offset),
            "numpy": lambda: np.sum(aligned),
            "torch": lambda: torch.sum(t_aligned),
        })
        _report(roofline, record_metric, "sum", n, rows, calibration, 1.0 * n, 4 * n)


def test_bench_perf_counters(calibration, run_record):
    """Cycles and instructions per call of the native kernels, where `perf stat` can count them."""
    reason = perf_unavailable_reason()
    if reason:
        run_record.add_section("perf", {"supported": False, "reason": reason})
        pytest.skip(f"perf counters not supported here: {reason}")
    setup = "import numpy as np\nfrom impls.avx2 import gemm, gemv, int8_kernels\n"
    cases = {
        "gemm_512": (setup + "a = np.ones((512, 512), np.float32); c = np.empty_like(a)", "gemm.matmul(a, a, out=c)", 20, 2.0 * 512**3),
        "gemv_4096": (setup + "a = np.ones((4096, 4096), np.float32); x = np.ones(4096, np.float32)", "gemv.gemv(a, x)", 50, 2.0 * 4096**2),
        "int8_gemv_4096": (setup + "w = np.ones((4096, 4096), np.int8); x = np.ones(4096, np.int8)", "int8_kernels.int8_gemv(w, x)", 50, 2.0 * 4096**2),
    }
    results = {}
    for name, (prepare, statement, calls, flops) in cases.items():
        counts = perf_counters(prepare, statement, calls)
        counts["flops_per_cycle"] = flops / counts["cycles_per_call"] if counts.get("cycles_per_call") else None
        results[name] = counts
        print(f"perf {name}: {counts}")
    run_record.add_section("perf", {"supported": True, "kernels": results})
