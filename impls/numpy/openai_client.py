"""Client-side helpers for the OpenAI API (roadmap Day 19-21), the reference
implementation of the week 3 `openai_client` skill: reassembling a streamed
chat completion, counting prompt tokens, estimating cost, retrying with
exponential backoff, reducing embedding dimensions, batching embeddings."""

import random
import time

import numpy as np

TOKENS_PER_PRICE_UNIT = 1_000_000  # prices are quoted in USD per 1M tokens


def _get(obj, key, default=None):
    """Field of an openai pydantic object or of a plain dict."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def reassemble_chat_stream(chunks):
    role, content, finish_reason, usage = None, None, None, None
    calls = {}  # tool call index -> {"id", "type", "function": {"name", "arguments"}}
    for chunk in chunks:
        if _get(chunk, "usage"):
            u = _get(chunk, "usage")
            usage = u if isinstance(u, dict) else u.model_dump()
        for choice in _get(chunk, "choices") or []:
            if _get(choice, "index", 0) != 0:
                continue  # one choice (n=1)
            delta = _get(choice, "delta") or {}
            role = _get(delta, "role") or role
            piece = _get(delta, "content")
            if piece is not None:
                content = (content or "") + piece
            for call in _get(delta, "tool_calls") or []:
                # a call is announced once (id, name) and its arguments arrive in fragments
                slot = calls.setdefault(_get(call, "index"), {"id": None, "type": "function", "function": {"name": "", "arguments": ""}})
                slot["id"] = _get(call, "id") or slot["id"]
                fn = _get(call, "function") or {}
                slot["function"]["name"] += _get(fn, "name") or ""
                slot["function"]["arguments"] += _get(fn, "arguments") or ""
            finish_reason = _get(choice, "finish_reason") or finish_reason
    return {"role": role or "assistant", "content": content, "tool_calls": [calls[i] for i in sorted(calls)],
            "finish_reason": finish_reason, "usage": usage}


def render_chat_message(message):
    """The server's chat template for one message (aigc_bench/server/textgen.py)."""
    text = f"{message['role']}: {message.get('content') or ''}"
    for call in message.get("tool_calls") or []:
        text += f" {call['function']['name']}({call['function']['arguments']})"
    return text


def count_chat_tokens(messages, encode):
    pieces = [render_chat_message(m) for m in messages] + ["assistant:"]  # the primer the model continues
    return sum(len(encode(p)) for p in pieces)


def estimate_cost(usage, model, prices):
    if model not in prices:
        raise KeyError(f"no price for model {model!r}; known: {sorted(prices)}")
    price = prices[model]
    prompt, completion = int(_get(usage, "prompt_tokens")), int(_get(usage, "completion_tokens"))
    if prompt < 0 or completion < 0:
        raise ValueError(f"token counts must be >= 0, got {prompt} and {completion}")
    return (prompt * price["prompt"] + completion * price["completion"]) / TOKENS_PER_PRICE_UNIT


def is_retryable(exc):
    """Rate limits, timeouts, connection failures and 5xx: a later attempt may succeed.
    Other 4xx (bad request, unknown model, auth) will fail the same way again."""
    import openai

    return isinstance(exc, (openai.RateLimitError, openai.APIConnectionError, openai.InternalServerError))


def call_with_retry(fn, max_attempts=5, base_delay=0.5, max_delay=8.0, sleep=None, rng=None):
    sleep = sleep or time.sleep
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    rng = rng or random.Random()
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if not is_retryable(exc) or attempt == max_attempts:
                raise
            cap = min(max_delay, base_delay * 2 ** (attempt - 1))  # exponential, capped
            sleep(cap / 2 + rng.uniform(0, cap / 2))  # "equal jitter": spreads clients that failed together


def reduce_dimensions(vectors, dimensions):
    vectors = np.asarray(vectors, dtype=np.float32)  # [n, d]
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be [n, d], got shape {vectors.shape}")
    if not 1 <= dimensions <= vectors.shape[1]:
        raise ValueError(f"dimensions must lie in [1, {vectors.shape[1]}], got {dimensions}")
    cut = vectors[:, :dimensions]  # [n, dimensions]: the leading coordinates carry the most
    norms = np.linalg.norm(cut, axis=1, keepdims=True)  # [n, 1]
    return (cut / np.maximum(norms, 1e-12)).astype(np.float32)  # back to unit length for cosine


def embed_in_batches(embed, texts, batch_size):
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    texts = list(texts)
    out = []
    for start in range(0, len(texts), batch_size):
        out.extend(embed(texts[start : start + batch_size]))  # one request per batch, order kept
    return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)
