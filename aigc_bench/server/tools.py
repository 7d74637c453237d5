"""Tool calls from a model that cannot decide to call tools.

The served model has random weights: it has no notion of when a tool helps
or of what arguments mean. Rather than pretend, the server supports tool
calls in a deterministic *constrained* mode:

- `tool_choice={"type": "function", "function": {"name": N}}` forces tool N;
  `"required"` forces a tool, chosen among `tools` by the model's first
  generated token (token id mod the number of tools);
- the arguments are JSON valid under the tool's `parameters` schema by
  construction: the skeleton (braces, keys, commas) comes from the schema and
  every value is filled from the model's generated tokens (strings: words of
  the next tokens; integers: token id mapped into [minimum, maximum]; enums
  and booleans: token id mod the choices; arrays: a token picks the length);
- `tool_choice="auto"` (or tools without tool_choice) generates ordinary text:
  a random model is never the one deciding to call a tool.

`ArgumentWriter.write(tokens)` is a pure function of the tokens so far: it
returns the JSON text written so far and whether it is complete, so the
server can stream argument fragments as tokens arrive.
"""

from __future__ import annotations

import json

WORDS_PER_STRING = 3
MAX_DEPTH = 4
DEFAULT_INT_RANGE = (0, 100)


class _NeedToken(Exception):
    pass


class ArgumentWriter:
    def __init__(self, schema: dict | None, word_of):
        self.schema = schema if isinstance(schema, dict) else {}
        self.word_of = word_of  # token id -> a word (str) or "" for tokens that are not words

    def write(self, tokens: list[int]) -> tuple[str, bool]:
        """(JSON text written from these tokens, complete?)"""
        self._tokens, self._pos, self._out = tokens, 0, []
        try:
            self._value(self.schema if self.schema.get("type") else {"type": "object", **self.schema}, depth=0)
        except _NeedToken:
            return "".join(self._out), False
        return "".join(self._out), True

    # each value writes its text to _out, taking tokens with _take()
    def _take(self) -> int:
        if self._pos >= len(self._tokens):
            raise _NeedToken
        self._pos += 1
        return self._tokens[self._pos - 1]

    def _value(self, schema: dict, depth: int) -> None:
        if not isinstance(schema, dict):
            schema = {}
        kind = schema.get("type")
        if isinstance(kind, list):  # ["string", "null"]: the first non-null type
            kind = next((k for k in kind if k != "null"), "null")
        if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
            self._out.append(json.dumps(schema["enum"][self._take() % len(schema["enum"])]))
        elif "const" in schema:
            self._out.append(json.dumps(schema["const"]))
        elif kind == "object" and depth < MAX_DEPTH:
            self._object(schema, depth)
        elif kind == "array" and depth < MAX_DEPTH:
            self._array(schema, depth)
        elif kind == "integer":
            self._out.append(str(self._integer(schema)))
        elif kind == "number":
            whole = self._integer(schema)
            self._out.append(json.dumps(whole + (self._take() % 100) / 100 if whole < _bounds(schema)[1] else float(whole)))
        elif kind == "boolean":
            self._out.append("true" if self._take() % 2 == 0 else "false")
        elif kind == "null" or kind in ("object", "array"):  # too deep: the smallest valid value
            self._out.append({"object": "{}", "array": "[]"}.get(kind, "null"))
        else:  # "string" and schemas without a type
            self._string(schema)

    def _integer(self, schema: dict) -> int:
        low, high = _bounds(schema)
        return low + self._take() % (high - low + 1)

    def _string(self, schema: dict) -> None:
        limit = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
        self._out.append('"')
        text = ""
        for i in range(WORDS_PER_STRING):
            word = self.word_of(self._take()) or "x"
            piece = (" " if i else "") + word
            if limit is not None and len(text + piece) > limit:
                piece = piece[: max(0, limit - len(text))]
            text += piece
            self._out.append(json.dumps(piece)[1:-1])
        self._out.append('"')

    def _object(self, schema: dict, depth: int) -> None:
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        self._out.append("{")
        for i, (key, sub) in enumerate(properties.items()):
            self._out.append(("" if i == 0 else ", ") + json.dumps(str(key)) + ": ")
            self._value(sub, depth + 1)
        self._out.append("}")

    def _array(self, schema: dict, depth: int) -> None:
        low = schema.get("minItems", 1) if isinstance(schema.get("minItems"), int) else 1
        high = schema.get("maxItems", max(low, 3)) if isinstance(schema.get("maxItems"), int) else max(low, 3)
        low, high = max(0, min(low, 8)), max(0, min(high, 8))
        count = low + self._take() % (max(high, low) - low + 1)
        self._out.append("[")
        for i in range(count):
            if i:
                self._out.append(", ")
            self._value(schema.get("items", {}), depth + 1)
        self._out.append("]")


def _bounds(schema: dict) -> tuple[int, int]:
    def number(key, default):
        value = schema.get(key)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 2**53 else default

    low, high = number("minimum", DEFAULT_INT_RANGE[0]), number("maximum", DEFAULT_INT_RANGE[1])
    if "minimum" in schema and "maximum" not in schema:
        high = low + DEFAULT_INT_RANGE[1]
    if "maximum" in schema and "minimum" not in schema:
        low = high - DEFAULT_INT_RANGE[1]
    return (low, high) if low <= high else (high, low)


def word_of_token(tokenizer):
    """token id -> a plain word from the BERT vocabulary ('' for special and [unusedN] tokens)."""
    vocab = tokenizer.convert_ids_to_tokens(list(range(tokenizer.vocab_size)))
    words = ["" if t.startswith("[") else t.removeprefix("##") for t in vocab]

    def word_of(token_id: int) -> str:
        return words[token_id] if 0 <= token_id < len(words) else ""

    return word_of
