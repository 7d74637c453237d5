"""The OpenAI API through the official client, against our own server (roadmap Day
19-21): chat roles, sampling controls, streaming chunks, tool calling, embeddings,
and the errors a client sees."""

import json

import jsonschema
import numpy as np
import openai
import pytest

from .conftest import EMBEDDING_MODEL, MODEL

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "hourly": {"type": "boolean"},
            },
            "required": ["city", "days", "unit", "hourly"],
        },
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}}}
CONVERSATION = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Name a colour."},
    {"role": "assistant", "content": "Blue."},
    {"role": "user", "content": "Another one?"},
]


def test_models_are_listed(client):
    ids = {m.id for m in client.models.list()}
    assert {MODEL, EMBEDDING_MODEL} <= ids


def test_chat_roles_and_usage(client):
    r = client.chat.completions.create(model=MODEL, messages=CONVERSATION, max_tokens=6, temperature=0)
    choice = r.choices[0]
    assert choice.message.role == "assistant" and isinstance(choice.message.content, str) and choice.message.content
    assert choice.finish_reason == "length" and r.usage.completion_tokens == 6
    assert r.usage.total_tokens == r.usage.prompt_tokens + 6
    shorter = client.chat.completions.create(model=MODEL, messages=CONVERSATION[:2], max_tokens=1, temperature=0)
    assert shorter.usage.prompt_tokens < r.usage.prompt_tokens, "every message's role and content count as prompt tokens"


def test_greedy_and_seeded_sampling_are_reproducible(client):
    ask = dict(model=MODEL, messages=CONVERSATION, max_tokens=8)
    greedy = [client.chat.completions.create(**ask, temperature=0).choices[0].message.content for _ in range(2)]
    assert greedy[0] == greedy[1], "temperature 0 is greedy: the same answer every time"
    seeded = {s: client.chat.completions.create(**ask, temperature=1.0, seed=s).choices[0].message.content for s in (1, 2, 3)}
    again = client.chat.completions.create(**ask, temperature=1.0, seed=1).choices[0].message.content
    assert again == seeded[1], "the same seed must give the same sample"
    assert len(set(seeded.values())) > 1, "different seeds gave identical samples at temperature 1"
    nucleus = client.chat.completions.create(**ask, temperature=1.0, top_p=1e-6, seed=5).choices[0].message.content
    assert nucleus == greedy[0], "top_p -> 0 keeps only the most likely token: greedy"


def test_stop_string_ends_the_text(client):
    base = client.completions.create(model=MODEL, prompt="the history of the city", max_tokens=12, temperature=0)
    words = base.choices[0].text.split()
    assert len(words) >= 3
    stop = words[2]
    cut = client.completions.create(model=MODEL, prompt="the history of the city", max_tokens=12, temperature=0, stop=[stop])
    text = base.choices[0].text
    assert cut.choices[0].text == text[: text.index(stop)], "the text ends just before the first stop string"
    assert cut.choices[0].finish_reason == "stop"


def test_streaming_chunk_format(client):
    stream = client.chat.completions.create(model=MODEL, messages=CONVERSATION, max_tokens=5, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant", "the first chunk announces the role"
    assert all(c.object == "chat.completion.chunk" for c in chunks) and len({c.id for c in chunks}) == 1
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["length"], "exactly one chunk carries the finish reason"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 5, "include_usage adds a last chunk with usage"


def test_forced_tool_call_round_trip(client):
    messages = [{"role": "user", "content": "What's the weather in Paris?"}]
    r = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL, TIME_TOOL],
                                       tool_choice={"type": "function", "function": {"name": "get_weather"}}, temperature=0)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather" and call.id
    arguments = json.loads(call.function.arguments)
    jsonschema.validate(arguments, WEATHER_TOOL["function"]["parameters"])  # constrained: valid by construction
    # the client runs the tool and sends its result back
    messages += [choice.message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"celsius": 21})}]
    follow = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=4, temperature=0)
    assert follow.choices[0].message.content and follow.choices[0].finish_reason == "length"
    assert follow.usage.prompt_tokens > r.usage.prompt_tokens, "the tool call and its result are part of the next prompt"


def test_required_tool_choice_picks_a_listed_tool(client):
    names = set()
    for seed in range(4):
        r = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "help"}], tools=[WEATHER_TOOL, TIME_TOOL],
                                           tool_choice="required", temperature=1.0, seed=seed)
        (call,) = r.choices[0].message.tool_calls
        schema = {"get_weather": WEATHER_TOOL, "get_time": TIME_TOOL}[call.function.name]["function"]["parameters"]
        jsonschema.validate(json.loads(call.function.arguments), schema)
        names.add(call.function.name)
    auto = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "help"}], tools=[WEATHER_TOOL], max_tokens=3)
    assert auto.choices[0].message.tool_calls is None, "tool_choice auto: a random model never decides to call (docs/serving.md)"


def test_tool_result_must_answer_a_call(client):
    with pytest.raises(openai.BadRequestError, match="tool_call_id"):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "call_nope", "content": "1"}])


def test_embeddings_batch_order_and_similarity(client):
    texts = ["A cat sits on the mat.", "Stock markets fell sharply today.", "A kitten is resting on a rug."]
    batch = client.embeddings.create(model=EMBEDDING_MODEL, input=texts)
    vectors = np.array([d.embedding for d in batch.data], dtype=np.float32)
    assert vectors.shape == (3, 384) and [d.index for d in batch.data] == [0, 1, 2]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    single = np.array(client.embeddings.create(model=EMBEDDING_MODEL, input=texts[1]).data[0].embedding, dtype=np.float32)
    np.testing.assert_allclose(vectors[1], single, atol=1e-5, err_msg="a batch must return each text's own vector, in order")
    sims = vectors @ vectors.T
    assert sims[0, 2] > sims[0, 1] + 0.2, "real MiniLM: the cat and kitten sentences are the closest pair"
    assert batch.usage.prompt_tokens > 0


def test_embedding_dimensions(client):
    full = client.embeddings.create(model=EMBEDDING_MODEL, input=["short text"]).data[0].embedding
    small = client.embeddings.create(model=EMBEDDING_MODEL, input=["short text"], dimensions=64).data[0].embedding
    assert len(full) == 384 and len(small) == 64
    assert np.linalg.norm(small) == pytest.approx(1.0, abs=1e-5), "reduced vectors are renormalised"
    with pytest.raises(openai.BadRequestError, match="dimensions"):
        client.embeddings.create(model=EMBEDDING_MODEL, input=["x"], dimensions=1000)


def test_errors_seen_by_the_client(client):
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-nonexistent", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}], max_tokens=100_000)
    assert too_long.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}], temperature=7)
