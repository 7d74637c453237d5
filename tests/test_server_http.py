"""The server as a process on loopback: error bodies, hypothesis-driven bad requests (no
5xx, no crash), a client leaving mid-stream frees its slot, continuous batching
interleaves concurrent streams, Prometheus metrics."""

import asyncio
import json
import re
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigc_bench.server.testing import serving

pytestmark = pytest.mark.server
MODEL = "aigc-small"
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
COMPLETION = {"model": MODEL, "prompt": "hello", "max_tokens": 2}
EMBEDDING = {"model": "all-MiniLM-L6-v2", "input": ["a"]}


@pytest.fixture(scope="module")
def server():
    with serving("--config", "small", "--max-batch", "4") as s:
        yield s


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.root, timeout=60) as c:
        yield c


def assert_openai_error(response, status):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"], error
    return error


def metric(http, name, labels=""):
    text = http.get("/metrics").text
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_error_bodies(http):
    post = lambda path, body: http.post(path, content=body, headers={"content-type": "application/json"})  # noqa: E731
    assert assert_openai_error(post("/v1/chat/completions", b"{not json"), 400)["code"] == "invalid_json"
    assert assert_openai_error(post("/v1/chat/completions", json.dumps(CHAT | {"model": "gpt-9"})), 404)["code"] == "model_not_found"
    assert assert_openai_error(post("/v1/chat/completions", json.dumps(CHAT | {"max_tokens": 10_000})), 400)["code"] == "context_length_exceeded"
    assert assert_openai_error(post("/v1/chat/completions", json.dumps(CHAT | {"temperature": "hot"})), 400)["param"] == "temperature"
    assert assert_openai_error(post("/v1/completions", json.dumps(COMPLETION | {"prompt": [1, 99999]})), 400)["param"] == "prompt"
    assert assert_openai_error(post("/v1/completions", json.dumps(COMPLETION | {"prompt": ""})), 400)["param"] == "prompt"
    assert assert_openai_error(post("/v1/embeddings", json.dumps(EMBEDDING | {"dimensions": 0})), 400)["param"] == "dimensions"
    assert_openai_error(http.get("/v1/nothing-here"), 404)
    assert_openai_error(http.get("/v1/chat/completions"), 405)


def test_completions_echo_and_token_prompts(http):
    r = http.post("/v1/completions", json=COMPLETION | {"prompt": [101, 2000, 3000], "max_tokens": 3, "temperature": 0}).json()
    assert r["usage"] == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
    echoed = http.post("/v1/completions", json=COMPLETION | {"echo": True, "temperature": 0}).json()
    assert echoed["choices"][0]["text"].startswith("hello")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.integers(-2**70, 2**70) | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
BASES = {"/v1/chat/completions": CHAT, "/v1/completions": COMPLETION, "/v1/embeddings": EMBEDDING}
FIELDS = ["model", "messages", "prompt", "max_tokens", "temperature", "top_p", "seed", "stop", "stream", "n", "tools", "tool_choice",
          "stream_options", "input", "dimensions", "encoding_format", "echo", "max_completion_tokens"]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(sorted(BASES)), changes=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, min_size=1, max_size=3),
       drop=st.lists(st.sampled_from(FIELDS), max_size=2), raw=st.none() | st.binary(max_size=40))
def test_bad_requests_never_cause_5xx(http, server, path, changes, drop, raw):
    body = {k: v for k, v in (BASES[path] | changes).items() if k not in drop}
    if isinstance(body.get("max_tokens"), int) and not isinstance(body["max_tokens"], bool) and body["max_tokens"] > 4:
        body["max_tokens"] = 4  # keep valid generations short
    data = raw if raw is not None else json.dumps(body, allow_nan=True).encode()
    if body.get("stream") is True and raw is None:
        with http.stream("POST", path, content=data, headers={"content-type": "application/json"}) as r:
            status = r.status_code
            r.read()
    else:
        r = http.post(path, content=data, headers={"content-type": "application/json"})
        status = r.status_code
        if status >= 400:
            assert_openai_error(r, status)
    assert status < 500, f"{status} for {data[:300]!r}"
    assert server.alive()


def test_client_disconnect_frees_the_slot(http, server):
    aborted_before = metric(http, "aigc_aborted_requests_total")
    body = CHAT | {"max_tokens": 400, "stream": True}
    with httpx.Client(base_url=server.root, timeout=60) as own:
        with own.stream("POST", "/v1/chat/completions", json=body) as r:
            events = 0
            for line in r.iter_lines():
                events += line.startswith("data:")
                if events >= 3:
                    break  # leave mid-stream: the connection closes here
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if metric(http, "aigc_aborted_requests_total") > aborted_before and metric(http, "aigc_running_requests") == 0:
            break
        time.sleep(0.1)
    assert metric(http, "aigc_aborted_requests_total") == aborted_before + 1, "the abandoned request was not aborted"
    assert metric(http, "aigc_running_requests") == 0 and metric(http, "aigc_queue_depth") == 0, "its engine slot is still taken"
    r = http.post("/v1/chat/completions", json=CHAT | {"max_tokens": 3})
    assert r.status_code == 200 and r.json()["usage"]["completion_tokens"] == 3


def test_concurrent_streams_are_batched(server):
    """Continuous batching: four concurrent streams all get their first token before any finishes."""

    async def one(client, i):
        first = last = None
        async with client.stream("POST", "/v1/completions", json=COMPLETION | {"prompt": f"topic {i}", "max_tokens": 24, "stream": True}) as r:
            async for line in r.aiter_lines():
                if line.startswith("data:") and line != "data: [DONE]":
                    now = time.perf_counter()
                    first = first or now
                    last = now
        return first, last

    async def main():
        async with httpx.AsyncClient(base_url=server.root, timeout=120) as client:
            return await asyncio.gather(*(one(client, i) for i in range(4)))

    spans = asyncio.run(main())
    assert max(f for f, _ in spans) < min(l for _, l in spans), f"streams ran one after another: {spans}"


def test_prometheus_metrics(http):
    before = metric(http, "aigc_requests_total", '{endpoint="/v1/completions",status="200"}')
    tokens_before = metric(http, "aigc_generated_tokens_total")
    assert http.post("/v1/completions", json=COMPLETION | {"max_tokens": 5}).status_code == 200
    r = http.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    for name in ("aigc_time_to_first_token_seconds_bucket", "aigc_request_latency_seconds_count", "aigc_tokens_per_second", "aigc_queue_depth"):
        assert name in r.text, f"{name} missing from /metrics"
    assert metric(http, "aigc_requests_total", '{endpoint="/v1/completions",status="200"}') == before + 1
    assert metric(http, "aigc_generated_tokens_total") >= tokens_before + 5
