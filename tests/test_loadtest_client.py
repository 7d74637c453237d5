"""The load tool's client: which SSE chunks count as output, request bodies, summary table."""

import pytest

from aigc_bench.loadtest import client
from aigc_bench.loadtest.runner import format_metrics
from impls.numpy import serving_metrics


@pytest.mark.parametrize(
    "chunk, output",
    [({"choices": [{"index": 0, "text": " hi"}]}, " hi"),
     ({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}, ""),  # the role chunk is not output
     ({"choices": [{"index": 0, "delta": {"content": "x"}}]}, "x"),
     ({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\""}}]}}]}, "{\"a\""),
     ({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, ""),
     ({"choices": [], "usage": {"completion_tokens": 3}}, "")],
)
def test_output_of_chunks(chunk, output):
    assert client._output_of(chunk) == output


def test_request_bodies():
    chat = client.request_body("chat", "m", "hello", 5)
    assert chat["messages"] == [{"role": "user", "content": "hello"}] and chat["max_tokens"] == 5 and chat["stream"]
    assert "ignore_eos" not in chat, "OpenAI rejects unknown fields: ignore_eos only on request"
    assert client.request_body("completions", "m", "p", 2, ignore_eos=True)["ignore_eos"] is True


def test_summary_table_names_every_metric():
    requests = [{"success": True, "prompt_tokens": 2, "output_tokens": 3, "ttft": 0.1, "itl": [0.01, 0.02], "e2el": 0.2}]
    text = format_metrics(serving_metrics.serving_metrics(requests, 1.0, (50, 99.9), {"ttft": 200}), (50, 99.9))
    for label in ("Mean TTFT (ms)", "P99.9 ITL (ms)", "Median TPOT (ms)", "Request goodput", "Output token throughput"):
        assert label in text
