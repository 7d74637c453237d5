"""The openai_client skill: a learner's client-side helpers, judged against our own
server through the official client (stream reassembly, token counting, cost,
retry with backoff, embedding dimensions and batching)."""

import json
import random

import httpx
import numpy as np
import openai
import pytest
from openai.types.chat import ChatCompletionChunk

from aigc_bench.checks import assert_raises_clearly
from aigc_bench.server.testing import free_port

from .conftest import EMBEDDING_MODEL, MODEL
from .test_openai_api import CONVERSATION, TIME_TOOL, WEATHER_TOOL

SKILL = "openai_client"

PRICES = {  # USD per 1M tokens
    "gpt-4o-mini": {"prompt": 0.15, "completion": 0.60},
    "gpt-4o": {"prompt": 2.50, "completion": 10.00},
}


def make_chunk(content=None, finish_reason=None, tool_calls=None, role=None, usage=None, choices=True):
    delta = {k: v for k, v in {"role": role, "content": content, "tool_calls": tool_calls}.items() if v is not None}
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}] if choices else []}
    if usage:
        body["usage"] = usage
    return ChatCompletionChunk.model_validate(body)


# ------------------------------------------------------------------ stream reassembly


def test_reassembled_stream_equals_the_whole_response(impl, client):
    ask = dict(model=MODEL, messages=CONVERSATION, max_tokens=12, temperature=0)
    whole = client.chat.completions.create(**ask)
    chunks = list(client.chat.completions.create(**ask, stream=True, stream_options={"include_usage": True}))
    out = impl.reassemble_chat_stream(chunks)
    assert out["role"] == "assistant"
    assert out["content"] == whole.choices[0].message.content, "the streamed pieces must add up to the non-streamed text"
    assert out["finish_reason"] == whole.choices[0].finish_reason
    assert out["tool_calls"] == []
    assert out["usage"]["completion_tokens"] == whole.usage.completion_tokens


def test_reassembled_tool_call_stream(impl, client):
    ask = dict(model=MODEL, messages=[{"role": "user", "content": "weather in Oslo?"}], tools=[WEATHER_TOOL, TIME_TOOL],
               tool_choice={"type": "function", "function": {"name": "get_weather"}}, temperature=0)
    whole = client.chat.completions.create(**ask).choices[0].message.tool_calls[0]
    chunks = list(client.chat.completions.create(**ask, stream=True))
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.tool_calls) > 2, "the server should stream arguments in fragments"
    out = impl.reassemble_chat_stream(chunks)
    (call,) = out["tool_calls"]
    assert call["function"]["name"] == "get_weather" and call["id"].startswith("call_")
    assert json.loads(call["function"]["arguments"]) == json.loads(whole.function.arguments), "argument fragments must be appended in order"
    assert out["finish_reason"] == "tool_calls" and out["content"] is None


def test_reassembly_of_hand_built_chunks(impl):
    """Two parallel tool calls with interleaved fragments, content in the last chunk, a usage-only chunk."""
    calls = [make_chunk(role="assistant"),
             make_chunk(tool_calls=[{"index": 0, "id": "call_a", "type": "function", "function": {"name": "f", "arguments": ""}}]),
             make_chunk(tool_calls=[{"index": 1, "id": "call_b", "type": "function", "function": {"name": "g", "arguments": '{"x"'}}]),
             make_chunk(tool_calls=[{"index": 0, "function": {"arguments": '{"a": '}}]),
             make_chunk(tool_calls=[{"index": 1, "function": {"arguments": ": 2}"}}]),
             make_chunk(tool_calls=[{"index": 0, "function": {"arguments": "1}"}}], finish_reason="tool_calls")]
    out = impl.reassemble_chat_stream(calls)
    assert [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in out["tool_calls"]] == [
        ("call_a", "f", '{"a": 1}'), ("call_b", "g", '{"x": 2}')], "fragments belong to the call with their index"
    assert out["finish_reason"] == "tool_calls" and out["content"] is None

    text = [make_chunk(role="assistant", content=""), make_chunk(content="Hel"), make_chunk(content=None),
            make_chunk(content="lo", finish_reason="stop")]
    out = impl.reassemble_chat_stream(text + [make_chunk(usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}, choices=False)])
    assert out["content"] == "Hello", "every piece counts, the last chunk's included"
    assert out["finish_reason"] == "stop" and out["usage"]["total_tokens"] == 5
    assert impl.reassemble_chat_stream(text)["usage"] is None


# ------------------------------------------------------------------ token counting and cost


@pytest.mark.parametrize("case", ["conversation", "single", "tool_round_trip", "empty_content"])
def test_counted_tokens_match_the_servers_usage(impl, client, encode, case):
    messages = {
        "conversation": CONVERSATION,
        "single": [{"role": "user", "content": "Déjà vu: 東京 costs $3.50, doesn't it?"}],
        "tool_round_trip": [{"role": "user", "content": "weather?"},
                            {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]},
                            {"role": "tool", "tool_call_id": "call_1", "content": '{"celsius": 3}'}],
        "empty_content": [{"role": "system", "content": ""}, {"role": "user", "content": "hi"}],
    }[case]
    served = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=1, temperature=0).usage.prompt_tokens
    assert impl.count_chat_tokens(messages, encode) == served, f"counted tokens differ from the server's usage.prompt_tokens ({served})"


def test_cost_estimate_hand_computed(impl):
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 500_000}
    # 1M prompt tokens at $0.15/1M + 0.5M completion tokens at $0.60/1M
    assert impl.estimate_cost(usage, "gpt-4o-mini", PRICES) == pytest.approx(0.15 + 0.30)
    assert impl.estimate_cost({"prompt_tokens": 1200, "completion_tokens": 300}, "gpt-4o", PRICES) == pytest.approx((1200 * 2.5 + 300 * 10.0) / 1e6)
    with pytest.raises(KeyError, match="gpt-5"):
        impl.estimate_cost(usage, "gpt-5", PRICES)
    assert_raises_clearly(ValueError, impl.estimate_cost, {"prompt_tokens": -1, "completion_tokens": 0}, "gpt-4o", PRICES, what="negative tokens")


def test_cost_of_a_real_response(impl, client):
    r = client.chat.completions.create(model=MODEL, messages=CONVERSATION, max_tokens=7, temperature=0)
    cost = impl.estimate_cost(r.usage, "gpt-4o", PRICES)
    assert cost == pytest.approx((r.usage.prompt_tokens * 2.5 + 7 * 10.0) / 1e6), "the usage object of a real response"


# ------------------------------------------------------------------ retry with backoff


def rate_limited():
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    return openai.RateLimitError("rate limited", response=httpx.Response(429, request=request), body=None)


class Flaky:
    """Fails with `error()` the first `failures` calls, then returns "ok"."""

    def __init__(self, failures, error=rate_limited):
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return "ok"


def test_retry_backs_off_exponentially(impl):
    delays = []
    flaky = Flaky(4)
    assert impl.call_with_retry(flaky, max_attempts=5, base_delay=0.5, max_delay=3.0, sleep=delays.append, rng=random.Random(0)) == "ok"
    assert flaky.calls == 5 and len(delays) == 4
    for k, delay in enumerate(delays, 1):
        cap = min(3.0, 0.5 * 2 ** (k - 1))
        assert cap / 2 <= delay <= cap, f"retry {k} waited {delay:.3f} s; expected within [{cap / 2}, {cap}] (exponential backoff, capped, jittered)"


def test_retry_gives_up_after_max_attempts(impl):
    flaky = Flaky(10)
    with pytest.raises(openai.RateLimitError):
        impl.call_with_retry(flaky, max_attempts=3, base_delay=0.01, sleep=lambda s: None)
    assert flaky.calls == 3, f"max_attempts=3 means 3 calls in all, got {flaky.calls}"
    assert_raises_clearly(ValueError, impl.call_with_retry, lambda: 1, max_attempts=0, what="max_attempts=0")


def test_retry_against_real_failures(impl, client):
    """A closed port (connection refused) is retried; the server's 404 for an unknown model is not."""
    dead = openai.OpenAI(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="x", max_retries=0, timeout=5)
    attempts = []

    def call_dead():
        attempts.append(1)
        return dead.models.list()

    with pytest.raises(openai.APIConnectionError):
        impl.call_with_retry(call_dead, max_attempts=3, base_delay=0.001, sleep=lambda s: None)
    assert len(attempts) == 3, "a connection failure is transient: retry it"

    wrong = []

    def call_unknown_model():
        wrong.append(1)
        return client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])

    with pytest.raises(openai.NotFoundError):
        impl.call_with_retry(call_unknown_model, max_attempts=4, base_delay=0.001, sleep=lambda s: None)
    assert len(wrong) == 1, "a 4xx error fails the same way again: do not retry it"


# ------------------------------------------------------------------ embeddings


def test_reduce_dimensions_matches_the_server(impl, client):
    texts = ["reduce me", "and me too, please"]
    full = np.array([d.embedding for d in client.embeddings.create(model=EMBEDDING_MODEL, input=texts).data], dtype=np.float32)
    served = np.array([d.embedding for d in client.embeddings.create(model=EMBEDDING_MODEL, input=texts, dimensions=48).data], dtype=np.float32)
    out = impl.reduce_dimensions(full, 48)
    assert out.shape == (2, 48) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5, err_msg="reduced rows must have unit length again")
    np.testing.assert_allclose(out, served, atol=2e-6, err_msg="the same reduction as the API's `dimensions`")
    assert_raises_clearly(ValueError, impl.reduce_dimensions, full, 0, what="dimensions=0")
    assert_raises_clearly(ValueError, impl.reduce_dimensions, full, 385, what="dimensions above the width")


def test_embed_in_batches(impl, client):
    texts = [f"sentence number {i} about topic {i % 3}" for i in range(7)]
    requests = []

    def embed(batch):
        requests.append(len(batch))
        return [d.embedding for d in client.embeddings.create(model=EMBEDDING_MODEL, input=batch).data]

    out = impl.embed_in_batches(embed, texts, 3)
    assert requests == [3, 3, 1], f"7 texts in batches of 3 need requests of 3, 3, 1; made {requests}"
    assert out.shape == (7, 384) and out.dtype == np.float32
    whole = np.array([d.embedding for d in client.embeddings.create(model=EMBEDDING_MODEL, input=texts).data], dtype=np.float32)
    np.testing.assert_allclose(out, whole, atol=1e-5, err_msg="batched vectors must come back in the texts' order")
    assert_raises_clearly(ValueError, impl.embed_in_batches, embed, texts, 0, what="batch_size=0")
