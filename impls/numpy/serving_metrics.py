"""Serving metrics of a load test, as vLLM's benchmark_serving defines them (roadmap Day 54-55).

Per request (times in seconds, from the client's clock):
    TTFT  = first output chunk - send time
    ITL   = every gap between consecutive output chunks (all requests' gaps pooled)
    E2EL  = end of the response - send time
    TPOT  = (E2EL - TTFT) / (output_tokens - 1)        only for output_tokens > 1
Over the run (duration = first send to last response end):
    request throughput      = completed / duration
    output token throughput = sum(output_tokens) / duration
    total token throughput  = (sum(prompt_tokens) + sum(output_tokens)) / duration
    goodput                 = requests meeting every SLO given / duration
Statistics (mean, median, std, percentiles) are over requests (TTFT, TPOT,
E2EL) or over gaps (ITL), reported in milliseconds, population std,
percentiles linearly interpolated (np.percentile); an empty list gives 0,
as in vLLM. docs/serving.md has the table with every key.
"""

import numpy as np

METRICS = ("ttft", "tpot", "itl", "e2el")


def request_timings(send_time, chunk_times, end_time):
    """(send time, output chunk arrival times, response end) -> {"ttft", "itl", "e2el"} in seconds."""
    times = np.asarray(chunk_times, dtype=np.float64)  # [n_chunks]
    if times.ndim != 1 or times.size == 0:
        raise ValueError("a request needs at least one output chunk time")
    if not np.all(np.isfinite(times)) or not np.isfinite(send_time) or not np.isfinite(end_time):
        raise ValueError("times must be finite")
    if times[0] < send_time or np.any(np.diff(times) < 0) or end_time < times[-1]:
        raise ValueError("times must satisfy send_time <= chunk_times (non-decreasing) <= end_time")
    return {
        "ttft": float(times[0] - send_time),
        "itl": np.diff(times).tolist(),  # [n_chunks - 1] gaps between consecutive chunks
        "e2el": float(end_time - send_time),
    }


def percentile_key(p) -> str:
    """50 -> "p50", 99.9 -> "p99.9" (vLLM's names)."""
    return f"p{int(p)}" if float(p) == int(p) else f"p{p}"


def summarize(values_ms, percentiles=(50, 95, 99)):
    """{"mean", "median", "std", "p50", ...} of a list of milliseconds (all 0 when empty)."""
    v = np.asarray(values_ms, dtype=np.float64)
    if v.size == 0:
        v = np.zeros(1)
    out = {"mean": float(np.mean(v)), "median": float(np.median(v)), "std": float(np.std(v))}
    for p in percentiles:
        if not 0 <= p <= 100:
            raise ValueError(f"percentiles must lie in [0, 100], got {p}")
        out[percentile_key(p)] = float(np.percentile(v, p))
    return out


def serving_metrics(requests, duration, percentiles=(50, 95, 99), slos=None):
    """requests: dicts {"success", "prompt_tokens", "output_tokens", "ttft", "itl", "e2el"} (seconds);
    duration: the run's wall time (s); slos: {"ttft"|"tpot"|"e2el": milliseconds} or None.
    Returns the flat vLLM-named dict (see the module docstring)."""
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration}")
    slos = dict(slos or {})
    unknown = set(slos) - {"ttft", "tpot", "e2el"}
    if unknown:
        raise ValueError(f"goodput SLOs may constrain ttft, tpot, e2el; got {sorted(unknown)}")
    done = [r for r in requests if r["success"]]
    per_metric = {m: [] for m in METRICS}  # milliseconds
    good = 0
    for r in done:
        out_tokens = int(r["output_tokens"])
        ttft_ms, e2el_ms = 1000.0 * r["ttft"], 1000.0 * r["e2el"]
        # TPOT excludes the first token: decoding time per token after it.
        tpot_ms = (e2el_ms - ttft_ms) / (out_tokens - 1) if out_tokens > 1 else None
        per_metric["ttft"].append(ttft_ms)
        per_metric["e2el"].append(e2el_ms)
        per_metric["itl"].extend(1000.0 * gap for gap in r["itl"])  # every gap, not per-request means
        if tpot_ms is not None:
            per_metric["tpot"].append(tpot_ms)
        observed = {"ttft": ttft_ms, "tpot": tpot_ms or 0.0, "e2el": e2el_ms}
        good += all(observed[name] <= limit for name, limit in slos.items())
    total_in = sum(int(r["prompt_tokens"]) for r in done)
    total_out = sum(int(r["output_tokens"]) for r in done)
    result = {
        "completed": len(done),
        "failed": len(requests) - len(done),
        "duration": float(duration),
        "total_input_tokens": total_in,
        "total_output_tokens": total_out,
        "request_throughput": len(done) / duration,
        "output_throughput": total_out / duration,
        "total_token_throughput": (total_in + total_out) / duration,
        "request_goodput": good / duration if slos else None,
    }
    for m in METRICS:
        for stat, value in summarize(per_metric[m], percentiles).items():
            result[f"{stat}_{m}_ms"] = value
    return result
