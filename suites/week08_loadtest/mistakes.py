"""Common mistakes in load-test metrics (each must fail the week 8 suite)."""

import numpy as np

from impls.numpy import serving_metrics as ref

from .contract import serving_metrics_skill as skill


def _with_statistics(out, metric, values_ms, percentiles):
    """The reference's result with one metric's statistics computed from other values."""
    for stat, value in ref.summarize(values_ms, percentiles).items():
        out[f"{stat}_{metric}_ms"] = value
    return out


@skill.mistake("request_timings", "ITL that counts the time to the first chunk as the first gap")
def itl_includes_ttft(send_time, chunk_times, end_time):
    out = ref.request_timings(send_time, chunk_times, end_time)
    out["itl"] = np.diff(np.concatenate([[send_time], np.asarray(chunk_times, float)])).tolist()
    return out


@skill.mistake("request_timings", "E2EL that stops at the first output chunk (the TTFT again)")
def e2el_to_first_chunk(send_time, chunk_times, end_time):
    out = ref.request_timings(send_time, chunk_times, end_time)
    out["e2el"] = out["ttft"]
    return out


@skill.mistake("summarize", "sample standard deviation (ddof=1) instead of the population one")
def sample_std(values_ms, percentiles=(50, 95, 99)):
    out = ref.summarize(values_ms, percentiles)
    v = np.asarray(values_ms, float)
    out["std"] = float(np.std(v, ddof=1)) if v.size > 1 else 0.0
    return out


@skill.mistake("serving_metrics", "TPOT dividing by all output tokens instead of output_tokens - 1")
def tpot_over_all_tokens(requests, duration, percentiles=(50, 95, 99), slos=None):
    out = ref.serving_metrics(requests, duration, percentiles, slos)
    tpots = [1000 * (r["e2el"] - r["ttft"]) / r["output_tokens"] for r in requests if r["success"] and r["output_tokens"] > 1]
    return _with_statistics(out, "tpot", tpots, percentiles)


@skill.mistake("serving_metrics", "ITL statistics over per-request mean gaps instead of every gap")
def itl_mean_of_means(requests, duration, percentiles=(50, 95, 99), slos=None):
    out = ref.serving_metrics(requests, duration, percentiles, slos)
    means = [1000 * float(np.mean(r["itl"])) for r in requests if r["success"] and r["itl"]]
    return _with_statistics(out, "itl", means, percentiles)


@skill.mistake("serving_metrics", "throughput counting failed requests as completed")
def throughput_counts_failures(requests, duration, percentiles=(50, 95, 99), slos=None):
    out = ref.serving_metrics(requests, duration, percentiles, slos)
    out["request_throughput"] = len(requests) / duration
    return out


@skill.mistake("serving_metrics", "output throughput over the sum of request latencies instead of the run's duration")
def throughput_over_summed_latency(requests, duration, percentiles=(50, 95, 99), slos=None):
    out = ref.serving_metrics(requests, duration, percentiles, slos)
    busy = sum(r["e2el"] for r in requests if r["success"])
    out["output_throughput"] = out["total_output_tokens"] / busy if busy else 0.0
    return out


@skill.mistake("serving_metrics", "goodput that checks only the TTFT SLO")
def goodput_ttft_only(requests, duration, percentiles=(50, 95, 99), slos=None):
    out = ref.serving_metrics(requests, duration, percentiles, slos)
    if slos:
        limit = slos.get("ttft", float("inf"))
        out["request_goodput"] = sum(1 for r in requests if r["success"] and 1000 * r["ttft"] <= limit) / duration
    return out
