"""Contract of the week 8 load-testing skill (roadmap Day 54-55: a performance
testing framework with async calls and statistics measuring TTFT/TPS).

The metrics are vLLM benchmark_serving's; docs/serving.md gives every formula.
All times are seconds on the client's clock (time.perf_counter); statistics
are reported in milliseconds.
"""

from aigc_bench.contract import Skill

serving_metrics_skill = Skill(
    "serving_metrics",
    weeks=(8,),
    summary="TTFT, TPOT, ITL, E2EL, throughput and goodput of a load test (vLLM's definitions)",
    roadmap="Day 54-55: performance testing framework (async, TTFT/TPS statistics); production: P50/P95/P99",
)


@serving_metrics_skill.function
def request_timings(send_time, chunk_times, end_time):
    """One streamed request's timings from its client-side timestamps.

    send_time: when the request was sent; chunk_times: arrival time of every
    chunk that carried output, in order; end_time: when the response ended.
    Returns {"ttft": chunk_times[0] - send_time,
             "itl": [chunk_times[i+1] - chunk_times[i] for each i] (a list, len n-1),
             "e2el": end_time - send_time}.
    Raises ValueError when there is no chunk, a time is not finite, or the
    times are out of order (send <= chunks, non-decreasing, <= end).
    """
    raise NotImplementedError


@serving_metrics_skill.function
def summarize(values_ms, percentiles=(50, 95, 99)):
    """Statistics of a list of milliseconds: {"mean", "median", "std" (population,
    ddof=0), "p50", "p95", "p99"} for the given percentiles (linear interpolation,
    as np.percentile; key "p99.9" for 99.9). An empty list gives 0 for every
    statistic (as vLLM). Raises ValueError for a percentile outside [0, 100].
    """
    raise NotImplementedError


@serving_metrics_skill.function
def serving_metrics(requests, duration, percentiles=(50, 95, 99), slos=None):
    """The run's metrics, vLLM-named.

    requests: list of dicts {"success": bool, "prompt_tokens": int,
    "output_tokens": int, "ttft": s, "itl": [s, ...], "e2el": s}; only
    successful ones count. duration: the run's wall time in seconds (> 0, else
    ValueError). slos: None or {"ttft"|"tpot"|"e2el": milliseconds} (other
    keys: ValueError).

    Returns {"completed", "failed", "duration", "total_input_tokens",
    "total_output_tokens", "request_throughput" (completed/duration),
    "output_throughput", "total_token_throughput" (input+output per second),
    "request_goodput" (requests meeting every SLO / duration; None without
    slos)} and, for m in ttft, tpot, itl, e2el, `summarize`'s statistics as
    "mean_{m}_ms", "median_{m}_ms", "std_{m}_ms", "p99_{m}_ms", ...

    TPOT = (E2EL - TTFT) / (output_tokens - 1), only for requests with more
    than one output token (a one-token request counts as TPOT 0 for goodput).
    ITL statistics pool every gap of every request (not per-request means).
    """
    raise NotImplementedError
