"""The load tool against real servers on loopback: its timing accuracy against
injected delays, its arrival schedules, its command line, and (benchmarks)
its own ceiling and the engine's continuous batching gain."""

import json
import math
import subprocess

import numpy as np
import pytest

from aigc_bench.loadtest import arrivals, plot, prompts
from aigc_bench.loadtest.runner import LoadConfig, run_load
from aigc_bench.server.testing import aigc_bench_command

from .conftest import INJECTED_ITL, INJECTED_TTFT, TOKENS_PER_REQUEST


def test_arrival_schedules():
    fixed = arrivals.send_offsets(5, 4.0, "fixed")
    assert fixed == pytest.approx([0, 0.25, 0.5, 0.75, 1.0]), "fixed rate: exactly 1/rate apart"
    assert not arrivals.send_offsets(6, math.inf, "poisson").any(), "an infinite rate sends everything at once"
    poisson = np.diff(arrivals.send_offsets(20001, 50.0, "poisson", seed=1))
    assert poisson.mean() == pytest.approx(1 / 50, rel=0.03), "Poisson gaps have mean 1/rate"
    assert poisson.std() / poisson.mean() == pytest.approx(1.0, rel=0.05), "Poisson gaps are exponential (CV 1)"
    bursty = np.diff(arrivals.send_offsets(20001, 50.0, "gamma", burstiness=0.25, seed=1))
    assert bursty.mean() == pytest.approx(1 / 50, rel=0.05), "gamma gaps keep the mean 1/rate"
    assert bursty.std() / bursty.mean() == pytest.approx(2.0, rel=0.08), "gamma shape k has CV 1/sqrt(k): burstiness 0.25 -> 2"
    with pytest.raises(ValueError, match="distribution"):
        arrivals.send_offsets(3, 1.0, "uniform")
    with pytest.raises(ValueError, match="rate"):
        arrivals.send_offsets(3, 0.0, "fixed")


def test_prompts_from_file_and_generated(tmp_path):
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"prompt": "a b c", "output_len": 7}\n\n{"prompt": "d"}\n')
    specs = prompts.prompts_from_file(jsonl, 3, default_output_len=5)
    assert [(s.prompt, s.output_len) for s in specs] == [("a b c", 7), ("d", 5), ("a b c", 7)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no prompt key"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        prompts.prompts_from_file(bad, 1, 5)
    generated = prompts.generated_prompts(4, input_len=12, output_len=3, seed=0)
    assert all(len(s.prompt.split()) == 12 and s.output_len == 3 for s in generated)
    assert generated == prompts.generated_prompts(4, 12, 3, seed=0), "generated prompts replay with the seed"


def test_timing_accuracy_against_injected_delays(delay_server, run_record, record_metric, tmp_path):
    """The server sends chunk i exactly TTFT + i*ITL after the request arrives; what the
    tool measures on top of that is its own (and the loopback's) overhead."""
    config = LoadConfig(delay_server.base_url, "delay", prompts.generated_prompts(40, 8, TOKENS_PER_REQUEST),
                        request_rate=100.0, arrival="poisson", max_concurrency=16, warmup=2)
    result = run_load(config)
    m = result.metrics
    assert m["completed"] == 40 and m["failed"] == 0, [r["error"] for r in result.requests if r["error"]][:3]
    assert m["total_output_tokens"] == 40 * TOKENS_PER_REQUEST, "output tokens come from the server's usage"
    ttfts = np.array([r["ttft"] for r in result.requests])
    e2els = np.array([r["e2el"] for r in result.requests])
    assert ttfts.min() >= INJECTED_TTFT, "a measured TTFT below the injected delay would break causality"
    assert e2els.min() >= INJECTED_TTFT + (TOKENS_PER_REQUEST - 1) * INJECTED_ITL
    overhead = {
        "ttft_error_ms_median": 1000 * float(np.median(ttfts - INJECTED_TTFT)),
        "ttft_error_ms_p99": 1000 * float(np.percentile(ttfts - INJECTED_TTFT, 99)),
        "tpot_error_ms_median": m["median_tpot_ms"] - 1000 * INJECTED_ITL,
        "e2el_error_ms_median": 1000 * float(np.median(e2els - INJECTED_TTFT - (TOKENS_PER_REQUEST - 1) * INJECTED_ITL)),
    }
    # generous sanity bound (a loaded shared machine); the figures themselves are recorded
    assert overhead["ttft_error_ms_median"] < 250, f"the tool adds {overhead['ttft_error_ms_median']:.1f} ms to TTFT"
    for name, value in overhead.items():
        record_metric(name, value, "ms", better="lower")
    print("\nload tool timing error vs injected delays: " + ", ".join(f"{k} {v:.2f}" for k, v in overhead.items()))
    section = result.record_section() | {"calibration": {"injected_ttft_s": INJECTED_TTFT, "injected_itl_s": INJECTED_ITL, **overhead}}
    run_record.add_section("loadtest", section)
    png = plot.plot_latency_cdfs({"delay server": section}, tmp_path / "cdf.png")
    assert png.stat().st_size > 10_000, "the latency CDF plot was not drawn"


def test_sends_follow_the_schedule(delay_server, record_metric):
    """Fixed rate 50/s: no request may leave before its scheduled time; the lag is recorded."""
    n, rate = 20, 50.0
    result = run_load(LoadConfig(delay_server.base_url, "delay", prompts.generated_prompts(n, 4, 2), request_rate=rate, arrival="fixed", warmup=0))
    lag = np.array([r["send_offset"] for r in result.requests]) - arrivals.send_offsets(n, rate, "fixed")
    assert lag.min() >= -1e-6, "a request left before its scheduled send time"
    record_metric("send_lag_ms_max", 1000 * float(lag.max()), "ms", better="lower")


def test_max_concurrency_is_respected(delay_server):
    """With at most 2 in flight and every request lasting >= 110 ms, 8 requests take >= 4 rounds."""
    result = run_load(LoadConfig(delay_server.base_url, "delay", prompts.generated_prompts(8, 4, TOKENS_PER_REQUEST), max_concurrency=2, warmup=0))
    per_request = INJECTED_TTFT + (TOKENS_PER_REQUEST - 1) * INJECTED_ITL
    assert result.metrics["duration"] >= 4 * per_request, "more than max_concurrency requests were in flight"
    spans = sorted((r["send_offset"], r["send_offset"] + r["e2el"]) for r in result.requests)
    for start, _ in spans:
        in_flight = sum(1 for s, e in spans if s <= start < e)
        assert in_flight <= 2, f"{in_flight} requests in flight with max_concurrency=2"


def test_command_line(delay_server, tmp_path):
    out = tmp_path / "result.json"
    run = subprocess.run(aigc_bench_command("loadtest", "--base-url", delay_server.base_url, "--model", "delay", "--num-requests", "6",
                                            "--output-len", "4", "--endpoint", "chat", "--goodput", "ttft:1000", "--output", str(out),
                                            "--plot", str(tmp_path / "cdf.png"), "--record-dir", str(tmp_path / "runs")),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Mean TTFT (ms)" in run.stdout and "Request goodput" in run.stdout
    saved = json.loads(out.read_text())
    assert saved["metrics"]["completed"] == 6 and saved["metrics"]["total_output_tokens"] == 24
    assert (tmp_path / "cdf.png").exists() and list((tmp_path / "runs").glob("*.json")), "no plot or run record written"
    bad = subprocess.run(aigc_bench_command("loadtest", "--base-url", delay_server.base_url, "--model", "x", "--goodput", "latency:5"),
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--goodput" in bad.stderr


def test_unreachable_server_is_reported(tmp_path):
    from aigc_bench.server.testing import free_port

    with pytest.raises(RuntimeError, match="warm-up request .* failed"):
        run_load(LoadConfig(f"http://127.0.0.1:{free_port()}/v1", "x", prompts.generated_prompts(2, 4, 2)))


# --------------------------------------------------------------------------- benchmarks


@pytest.mark.bench
def test_bench_load_tool_ceiling(trivial_server, record_metric, run_record):
    """Target: the tool sustains >= 500 generation requests/s from one core (asyncio is one
    thread). Wall req/s depends on the server and on other load; client CPU seconds per
    request give the tool's own one-core capacity."""
    n = 3000
    result = run_load(LoadConfig(trivial_server.base_url, "trivial", prompts.generated_prompts(n, 8, 4), max_concurrency=64, warmup=5))
    assert result.metrics["completed"] == n
    capacity = n / result.client_cpu_seconds
    record_metric("loadtool_wall_requests_per_s", result.metrics["request_throughput"], "req/s", better="higher")
    record_metric("loadtool_cpu_capacity_requests_per_s", capacity, "req/s", better="higher", target=500)
    run_record.add_section("loadtest_ceiling", {"requests": n, "wall_requests_per_s": result.metrics["request_throughput"],
                                                "client_cpu_seconds": result.client_cpu_seconds, "cpu_capacity_requests_per_s": capacity})
    print(f"\nload tool: {result.metrics['request_throughput']:.0f} req/s wall, {capacity:.0f} req/s per client CPU second (target 500)")


@pytest.mark.bench
def test_bench_continuous_batching_gain(engine_server, record_metric, run_record):
    """Target: 8 concurrent streams through the engine's continuous batching give >= 3x the
    output-token throughput of serving the same requests one at a time."""
    from pathlib import Path

    import httpx
    import psutil

    specs = prompts.generated_prompts(8, 16, 64, seed=3)
    sections = {}
    # 1 and 8 are measured twice, interleaved, keeping the better run of each: on a
    # shared machine, a burst of other work during one run should not decide the ratio
    # MiniLM loads in the background after start-up: an embeddings request waits for it, so
    # that its CPU does not fall into the first measured run
    httpx.post(f"{engine_server.base_url}/embeddings", json={"model": "all-MiniLM-L6-v2", "input": "warm"}, timeout=300).raise_for_status()
    # The server's CPU seconds give a second, contention-free view: tokens per server CPU second.
    server_process = psutil.Process(engine_server.process.pid)
    for concurrency in (1, 8, 2, 4, 1, 8):
        cpu_before = sum(server_process.cpu_times()[:2])
        result = run_load(LoadConfig(engine_server.base_url, "aigc-small", specs, max_concurrency=concurrency, warmup=1))
        server_cpu = sum(server_process.cpu_times()[:2]) - cpu_before
        assert result.metrics["completed"] == 8, [r["error"] for r in result.requests if r["error"]][:2]
        result.metrics["output_tokens_per_server_cpu_s"] = result.metrics["total_output_tokens"] / server_cpu
        best = sections.get(concurrency)
        if best is None or result.metrics["output_throughput"] > best["metrics"]["output_throughput"]:
            sections[concurrency] = result.record_section()
    sections = dict(sorted(sections.items()))
    for concurrency, section in sections.items():
        record_metric(f"output_tokens_per_s_concurrency_{concurrency}", section["metrics"]["output_throughput"], "tok/s", better="higher")
    gain = sections[8]["metrics"]["output_throughput"] / sections[1]["metrics"]["output_throughput"]
    cpu_gain = sections[8]["metrics"]["output_tokens_per_server_cpu_s"] / sections[1]["metrics"]["output_tokens_per_server_cpu_s"]
    record_metric("continuous_batching_gain_8_vs_1", gain, "x", better="higher", target=3.0)
    record_metric("continuous_batching_gain_8_vs_1_per_server_cpu_s", cpu_gain, "x", better="higher")
    run_record.add_section("loadtest_concurrency", {str(c): s for c, s in sections.items()})
    reports = Path("reports") / "loadtest"
    plot.plot_latency_cdfs({f"{c} stream(s)": s for c, s in sections.items()}, reports / "engine_latency_cdf.png")
    plot.plot_throughput_vs_concurrency(list(sections.values()), reports / "engine_throughput_vs_concurrency.png")
    print(f"\ncontinuous batching: {gain:.2f}x output tokens/s with 8 streams vs 1 (target 3x), {cpu_gain:.2f}x per server CPU second; "
          f"plots in {reports}; " + ", ".join(f"{c}: {s['metrics']['output_throughput']:.1f} tok/s, "
                                              f"{s['metrics']['output_tokens_per_server_cpu_s']:.1f} tok/CPU-s" for c, s in sections.items()))
