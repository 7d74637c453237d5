"""A load test run: warm-up, arrivals on a schedule, a concurrency limit, metrics.

    config = LoadConfig(base_url="http://127.0.0.1:8000/v1", model="aigc-small",
                        prompts=generated_prompts(64, 32, 64), request_rate=8.0)
    result = run_load(config)          # LoadResult: .metrics (vLLM-named), .requests
    run_record.add_section("loadtest", result.record_section())

Requests go out at their scheduled send times (arrivals.py), wait for a slot
when `max_concurrency` are in flight, and are additionally capped by an
asyncio-throttle Throttler when `max_rate` is given (requests per second over
a sliding one-second window, whatever the arrival process). Warm-up requests
run one by one before the clock starts and are not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import asdict, dataclass, field

import aiohttp
from asyncio_throttle import Throttler

from impls.numpy import serving_metrics as metrics_reference

from .arrivals import send_offsets
from .client import request_body, stream_request
from .prompts import PromptSpec

ENDPOINT_PATHS = {"completions": "/completions", "chat": "/chat/completions"}


@dataclass
class LoadConfig:
    base_url: str  # ending in /v1
    model: str
    prompts: list[PromptSpec]
    endpoint: str = "completions"  # "completions" | "chat"
    request_rate: float = math.inf
    arrival: str = "poisson"  # fixed | poisson | gamma | all
    burstiness: float = 1.0
    max_concurrency: int | None = None
    max_rate: float | None = None  # asyncio-throttle cap, requests/s
    warmup: int = 1
    percentiles: tuple = (50, 95, 99)
    slos: dict | None = None  # goodput SLOs in ms: {"ttft": 500, "tpot": 50, "e2el": ...}
    seed: int = 0
    ignore_eos: bool = False  # send vLLM's ignore_eos so every output reaches its length
    api_key: str | None = None
    timeout: float = 600.0

    def __post_init__(self):
        if self.endpoint not in ENDPOINT_PATHS:
            raise ValueError(f"endpoint must be one of {sorted(ENDPOINT_PATHS)}, got {self.endpoint!r}")
        if not self.prompts:
            raise ValueError("a load test needs at least one prompt")
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {self.max_concurrency}")
        if self.max_rate is not None and not self.max_rate > 0:
            raise ValueError(f"max_rate must be positive, got {self.max_rate}")
        if self.warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {self.warmup}")

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + ENDPOINT_PATHS[self.endpoint]


@dataclass
class LoadResult:
    config: dict
    metrics: dict
    requests: list[dict] = field(repr=False)
    client_cpu_seconds: float = 0.0

    def record_section(self) -> dict:
        """What goes into a run record's "loadtest" section (plots read `requests`)."""
        return {"config": self.config, "metrics": self.metrics, "client_cpu_seconds": self.client_cpu_seconds, "requests": self.requests}


def outcome_to_request(outcome, started: float) -> dict:
    """A RequestOutcome as serving_metrics' request dict (plus what a report shows)."""
    entry = {"success": outcome.success, "prompt_tokens": outcome.prompt_tokens, "output_tokens": outcome.output_tokens,
             "send_offset": outcome.send_time - started, "error": outcome.error, "ttft": 0.0, "itl": [], "e2el": 0.0}
    if outcome.success:
        entry.update(metrics_reference.request_timings(outcome.send_time, outcome.chunk_times, outcome.end_time))
    return entry


async def run_load_async(config: LoadConfig) -> LoadResult:
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else None
    limit = config.max_concurrency or 256
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit, keepalive_timeout=30)
    timeout = aiohttp.ClientTimeout(total=config.timeout)
    bodies = [request_body(config.endpoint, config.model, p.prompt, p.output_len, config.ignore_eos) for p in config.prompts]
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for i in range(config.warmup):
            warm = await stream_request(session, config.url, bodies[i % len(bodies)], headers)
            if not warm.success:
                raise RuntimeError(f"the warm-up request to {config.url} failed: {warm.error}")

        offsets = send_offsets(len(bodies), config.request_rate, config.arrival, config.burstiness, config.seed)
        slots = asyncio.Semaphore(config.max_concurrency) if config.max_concurrency else contextlib.nullcontext()
        throttler = Throttler(rate_limit=max(1, int(config.max_rate)), period=max(1, int(config.max_rate)) / config.max_rate) if config.max_rate else contextlib.nullcontext()

        async def one(body: dict, offset: float):
            delay = started + offset - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            async with throttler:
                pass
            async with slots:
                return await stream_request(session, config.url, body, headers)

        cpu0 = time.process_time()
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(one(b, o) for b, o in zip(bodies, offsets)))
        duration = time.perf_counter() - started
        cpu = time.process_time() - cpu0

    requests = [outcome_to_request(o, started) for o in outcomes]
    metrics = metrics_reference.serving_metrics(requests, duration, config.percentiles, config.slos)
    metrics["max_concurrency"] = config.max_concurrency
    metrics["request_rate"] = None if math.isinf(config.request_rate) else config.request_rate
    described = {k: v for k, v in asdict(config).items() if k != "prompts"} | {"num_requests": len(bodies), "api_key": None}
    described["request_rate"] = metrics["request_rate"]
    return LoadResult(described, metrics, requests, cpu)


def run_load(config: LoadConfig) -> LoadResult:
    return asyncio.run(run_load_async(config))


def format_metrics(metrics: dict, percentiles=(50, 95, 99)) -> str:
    """vLLM-style summary table."""
    rows = [
        ("Successful requests", metrics["completed"]),
        ("Failed requests", metrics["failed"]),
        ("Benchmark duration (s)", f"{metrics['duration']:.2f}"),
        ("Total input tokens", metrics["total_input_tokens"]),
        ("Total generated tokens", metrics["total_output_tokens"]),
        ("Request throughput (req/s)", f"{metrics['request_throughput']:.2f}"),
        ("Output token throughput (tok/s)", f"{metrics['output_throughput']:.2f}"),
        ("Total token throughput (tok/s)", f"{metrics['total_token_throughput']:.2f}"),
    ]
    if metrics.get("request_goodput") is not None:
        rows.append(("Request goodput (req/s)", f"{metrics['request_goodput']:.2f}"))
    names = {"ttft": "Time to First Token", "tpot": "Time per Output Token (excl. 1st token)", "itl": "Inter-token Latency", "e2el": "End-to-end Latency"}
    lines = [f"{k:<42}{v:>12}" for k, v in rows]
    for m, title in names.items():
        lines.append(f"{'-' * 18}{title}{'-' * 18}")
        for stat in ("mean", "median", "std"):
            lines.append(f"{f'{stat.capitalize()} {m.upper()} (ms)':<42}{metrics[f'{stat}_{m}_ms']:>12.2f}")
        for p in percentiles:
            key = metrics_reference.percentile_key(p)
            lines.append(f"{f'P{key[1:]} {m.upper()} (ms)':<42}{metrics[f'{key}_{m}_ms']:>12.2f}")
    return "\n".join(lines)
