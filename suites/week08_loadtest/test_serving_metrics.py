"""The serving_metrics skill on hand-built timelines: every expected figure is
worked out by hand below from vLLM benchmark_serving's definitions."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_raises_clearly

SKILL = "serving_metrics"


# Three successful requests and a failed one, on a 2.5 s run.
#   A: sent 0.00, chunks 0.10 0.15 0.25 0.30, ended 0.30; 10 prompt, 4 output tokens
#   B: sent 1.00, chunks 1.20 1.30,           ended 1.35;  5 prompt, 2 output tokens
#   C: sent 2.00, chunk  2.05,                ended 2.05;  3 prompt, 1 output token
TIMELINES = [
    (0.00, [0.10, 0.15, 0.25, 0.30], 0.30, 10, 4),
    (1.00, [1.20, 1.30], 1.35, 5, 2),
    (2.00, [2.05], 2.05, 3, 1),
]
DURATION = 2.5


def build_requests(impl):
    requests = []
    for send, chunks, end, prompt_tokens, output_tokens in TIMELINES:
        timings = impl.request_timings(send, chunks, end)
        requests.append({"success": True, "prompt_tokens": prompt_tokens, "output_tokens": output_tokens, **timings})
    requests.append({"success": False, "prompt_tokens": 0, "output_tokens": 0, "ttft": 0.0, "itl": [], "e2el": 0.0})
    return requests


def test_request_timings_of_a_timeline(impl):
    t = impl.request_timings(0.0, [0.10, 0.15, 0.25, 0.30], 0.32)
    assert t["ttft"] == pytest.approx(0.10), "TTFT = first output chunk - send time"
    assert list(t["itl"]) == pytest.approx([0.05, 0.10, 0.05]), "ITL = every gap between consecutive chunks (n-1 gaps)"
    assert t["e2el"] == pytest.approx(0.32), "E2EL = end of the response - send time"


def test_request_timings_single_chunk_has_no_gap(impl):
    t = impl.request_timings(5.0, [5.25], 5.25)
    assert t["ttft"] == pytest.approx(0.25) and list(t["itl"]) == [] and t["e2el"] == pytest.approx(0.25)


@pytest.mark.parametrize(
    "send, chunks, end, what",
    [(0.0, [], 1.0, "no chunk"), (1.0, [0.5], 2.0, "a chunk before the send"), (0.0, [0.3, 0.2], 1.0, "chunks out of order"),
     (0.0, [0.3], 0.2, "an end before the last chunk"), (0.0, [float("nan")], 1.0, "a NaN time")],
)
def test_request_timings_rejects_bad_timelines(impl, send, chunks, end, what):
    assert_raises_clearly(ValueError, impl.request_timings, send, chunks, end, what=what)


def test_summarize_hand_computed(impl):
    s = impl.summarize([1.0, 2.0, 3.0, 4.0], (50, 95, 99, 99.9))
    assert s["mean"] == pytest.approx(2.5) and s["median"] == pytest.approx(2.5)
    assert s["std"] == pytest.approx(math.sqrt(1.25)), "std is the population one (ddof=0), as vLLM's np.std"
    # linear interpolation: p -> 1 + 3 * p / 100
    assert s["p50"] == pytest.approx(2.5) and s["p95"] == pytest.approx(3.85) and s["p99"] == pytest.approx(3.97)
    assert s["p99.9"] == pytest.approx(3.997), "a fractional percentile is keyed 'p99.9'"


def test_summarize_empty_is_zero(impl):
    assert impl.summarize([], (50, 99)) == {"mean": 0.0, "median": 0.0, "std": 0.0, "p50": 0.0, "p99": 0.0}


def test_summarize_rejects_bad_percentile(impl):
    assert_raises_clearly(ValueError, impl.summarize, [1.0], (50, 101), what="percentile 101")


def test_serving_metrics_counts_and_throughput(impl):
    m = impl.serving_metrics(build_requests(impl), DURATION)
    assert (m["completed"], m["failed"]) == (3, 1)
    assert (m["total_input_tokens"], m["total_output_tokens"]) == (18, 7)
    assert m["request_throughput"] == pytest.approx(3 / 2.5), "completed requests / run duration (failed ones do not count)"
    assert m["output_throughput"] == pytest.approx(7 / 2.5), "output tokens / run duration"
    assert m["total_token_throughput"] == pytest.approx(25 / 2.5), "(input + output tokens) / run duration"
    assert m["request_goodput"] is None, "no SLOs: no goodput"


def test_serving_metrics_latency_statistics(impl):
    m = impl.serving_metrics(build_requests(impl), DURATION, percentiles=(50, 99))
    # TTFT over requests: [100, 200, 50] ms
    assert m["mean_ttft_ms"] == pytest.approx(350 / 3) and m["median_ttft_ms"] == pytest.approx(100)
    assert m["std_ttft_ms"] == pytest.approx(np.sqrt(((100 - 350 / 3) ** 2 + (200 - 350 / 3) ** 2 + (50 - 350 / 3) ** 2) / 3))
    # TPOT = (E2EL - TTFT) / (out - 1): A (300-100)/3, B (350-200)/1; C has one token: no TPOT
    assert m["mean_tpot_ms"] == pytest.approx((200 / 3 + 150) / 2), "TPOT = (E2EL - TTFT) / (output_tokens - 1), one-token requests excluded"
    assert m["median_tpot_ms"] == pytest.approx((200 / 3 + 150) / 2)
    # ITL pools every gap: A's 50, 100, 50 and B's 100
    assert m["mean_itl_ms"] == pytest.approx(75), "ITL statistics pool every gap of every request"
    assert m["median_itl_ms"] == pytest.approx(75) and m["p99_itl_ms"] == pytest.approx(100)
    # E2EL: [300, 350, 50]
    assert m["mean_e2el_ms"] == pytest.approx(700 / 3) and m["p50_e2el_ms"] == pytest.approx(300)
    assert m["p99_e2el_ms"] == pytest.approx(300 + 0.98 * 50)


@pytest.mark.parametrize(
    "slos, good",
    [({"ttft": 150}, 2),  # A (100) and C (50); B's 200 misses
     ({"tpot": 60}, 1),  # only C (one token: TPOT 0); A 66.7 and B 150 miss
     ({"ttft": 150, "tpot": 100}, 2),  # A and C
     ({"e2el": 320, "ttft": 60}, 1)],  # C only
)
def test_serving_metrics_goodput(impl, slos, good):
    m = impl.serving_metrics(build_requests(impl), DURATION, slos=slos)
    assert m["request_goodput"] == pytest.approx(good / DURATION), f"goodput = requests meeting every SLO of {slos} / duration"


def test_serving_metrics_rejects_bad_input(impl):
    requests = build_requests(impl)
    assert_raises_clearly(ValueError, impl.serving_metrics, requests, 0.0, what="a zero duration")
    assert_raises_clearly(ValueError, impl.serving_metrics, requests, 1.0, slos={"latency": 5}, what="an unknown SLO")


timeline = st.tuples(
    st.floats(0, 10),  # send
    st.lists(st.floats(0, 2), min_size=1, max_size=12),  # gaps: ttft then ITLs
    st.floats(0, 1),  # tail after the last chunk
    st.integers(0, 500),  # prompt tokens
)


@settings(max_examples=40, deadline=None)
@given(timelines=st.lists(timeline, min_size=1, max_size=8), slack=st.floats(1.0, 3.0))
def test_serving_metrics_invariants_on_random_timelines(impl, timelines, slack):
    requests = []
    for send, gaps, tail, prompt_tokens in timelines:
        chunks = list(send + np.cumsum(gaps))
        t = impl.request_timings(send, chunks, chunks[-1] + tail)
        assert len(t["itl"]) == len(chunks) - 1
        assert t["ttft"] + sum(t["itl"]) == pytest.approx(t["e2el"] - tail, abs=1e-9), "TTFT + the gaps span first-to-last chunk"
        requests.append({"success": True, "prompt_tokens": prompt_tokens, "output_tokens": len(chunks), **t})
    duration = slack * max(r["e2el"] for r in requests) + 1e-3
    m = impl.serving_metrics(requests, duration, percentiles=(50, 95, 99))
    for metric in ("ttft", "tpot", "itl", "e2el"):
        assert m[f"p50_{metric}_ms"] <= m[f"p95_{metric}_ms"] + 1e-9 <= m[f"p99_{metric}_ms"] + 2e-9, f"{metric} percentiles must be ordered"
    assert m["request_throughput"] * duration == pytest.approx(len(requests))
    assert m["mean_e2el_ms"] >= m["mean_ttft_ms"] - 1e-9, "E2EL includes TTFT"
