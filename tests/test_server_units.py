"""Server pieces without a server: stop-string streaming, constrained tool arguments, request validation."""

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.server import protocol, tools
from aigc_bench.server.textgen import TextStream


class WordTokenizer:
    """A stand-in tokenizer: token i is the word f"w{i}", joined with spaces."""

    def decode(self, ids, skip_special_tokens=True, clean_up_tokenization_spaces=False):
        return " ".join(f"w{i}" for i in ids)


def stream_all(tokens, stops):
    s = TextStream(WordTokenizer(), stops)
    sent = []
    for t in tokens:
        sent.append(s.push(t))
        if s.stopped:
            return "".join(sent), True
    return "".join(sent) + s.flush(), False


def test_stop_string_is_never_streamed():
    text, stopped = stream_all([1, 2, 3, 4, 5], ["w3"])
    assert stopped and text == "w1 w2 ", "the text ends just before the stop string, which is not sent"


def test_stop_string_across_tokens():
    text, stopped = stream_all([1, 2, 3, 4], ["2 w3"])
    assert stopped and text == "w1 w"


def test_without_stop_everything_is_sent():
    assert stream_all([7, 8, 9], ["zzz"]) == ("w7 w8 w9", False)
    assert stream_all([7, 8], []) == ("w7 w8", False)


SCHEMAS = [
    {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}}},
    {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "minItems": 1, "maxItems": 3},
                                      "mode": {"enum": ["a", "b", 3]}, "ok": {"type": "boolean"}, "x": {"type": "number", "minimum": -2, "maximum": 2},
                                      "nested": {"type": "object", "properties": {"n": {"type": ["integer", "null"], "minimum": 10}}}}},
    {"properties": {"q": {}}},  # no type: an object; an untyped property: a string
    {"type": "object", "properties": {"deep": {"type": "array", "items": {"type": "array", "items": {"type": "array", "items": {"type": "array", "items": {"type": "object"}}}}}}},
]


@settings(max_examples=60, deadline=None)
@given(schema_index=st.integers(0, len(SCHEMAS) - 1), tokens=st.lists(st.integers(0, 30521), min_size=0, max_size=80))
def test_tool_arguments_are_valid_json_under_the_schema(schema_index, tokens):
    schema = SCHEMAS[schema_index]
    writer = tools.ArgumentWriter(schema, lambda t: f"w{t}" if t % 5 else "")
    text, complete = writer.write(tokens)
    if complete:
        jsonschema.validate(json.loads(text), {"type": "object", **schema} if "type" not in schema else schema)
        for k in range(len(tokens)):  # what was streamed earlier is a prefix of the final text
            partial, done = writer.write(tokens[:k])
            assert text.startswith(partial)


def test_tool_arguments_need_enough_tokens():
    writer = tools.ArgumentWriter(SCHEMAS[0], lambda t: "word")
    assert writer.write([]) == ("{\"city\": \"", False)
    text, complete = writer.write([1, 2, 3, 10])
    assert complete and json.loads(text) == {"city": "word word word", "days": 1 + 10 % 7}


@pytest.mark.parametrize(
    "body, param",
    [(b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": "5"}', "max_tokens"),
     (b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": 1}', "stream"),
     (b'{"model": "m", "messages": [{"role": "wizard", "content": "x"}]}', "messages.0.role"),
     (b'{"model": "m", "messages": []}', "messages"),
     (b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 3}', "n"),
     (b'{"messages": [{"role": "user", "content": "x"}]}', "model")],
)
def test_validation_names_the_field(body, param):
    with pytest.raises(protocol.APIError) as err:
        protocol.parse(protocol.ChatCompletionRequest, body)
    assert err.value.status == 400 and err.value.param == param and param.split(".")[-1] in err.value.message


def test_malformed_json_is_named():
    with pytest.raises(protocol.APIError, match="not valid JSON") as err:
        protocol.parse(protocol.CompletionRequest, b'{"model": ')
    assert err.value.code == "invalid_json"


def test_server_tokenizer_agrees_with_transformers():
    """The server's tokenizers-only MiniLM tokenizer and aigc_bench.models.minilm_tokenizer()."""
    import numpy as np

    from aigc_bench.models import minilm_tokenizer
    from aigc_bench.server.tokens import minilm_tokens

    ours, theirs = minilm_tokens(), minilm_tokenizer()
    texts = ["system: You are terse.", "Déjà vu: 東京 costs $3.50, doesn't it?", "assistant:", " ".join(["word"] * 300), ""]
    for text in texts:
        assert ours.encode(text) == theirs.encode(text, add_special_tokens=False), text
    assert ours(texts, truncation=True, max_length=256)["input_ids"] == theirs(texts, truncation=True, max_length=256)["input_ids"]
    rng = np.random.default_rng(0)
    for _ in range(200):
        ids = rng.integers(0, theirs.vocab_size, size=int(rng.integers(1, 16))).tolist()
        assert ours.decode(ids) == theirs.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False), ids
    assert ours.vocab_size == theirs.vocab_size and ours.convert_ids_to_tokens([100, 2000]) == theirs.convert_ids_to_tokens([100, 2000])


@pytest.mark.parametrize("args, message", [(["--model", "/no/such/dir"], "no such directory"), (["--max-batch", "0"], "--max-batch"), (["--port", "70000"], "TCP port")])
def test_serve_rejects_bad_arguments(args, message, capsys):
    from aigc_bench.cli import main

    assert main(["serve", *args]) == 2
    assert message in capsys.readouterr().err
