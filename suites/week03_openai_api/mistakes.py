"""Common mistakes in OpenAI client helpers (each must fail the week 3 suite)."""

import time

import numpy as np

from impls.numpy import openai_client as ref

from .contract import openai_client_skill as skill


@skill.mistake("reassemble_chat_stream", "stream reassembly that drops the last chunk")
def drops_last_chunk(chunks):
    return ref.reassemble_chat_stream(list(chunks)[:-1])


@skill.mistake("reassemble_chat_stream", "tool-call arguments overwritten by each fragment instead of appended")
def overwrites_arguments(chunks):
    out = ref.reassemble_chat_stream(chunks)
    for call in out["tool_calls"]:
        call["function"]["arguments"] = ""
    for chunk in chunks:
        for choice in ref._get(chunk, "choices") or []:
            for c in ref._get(ref._get(choice, "delta") or {}, "tool_calls") or []:
                piece = ref._get(ref._get(c, "function") or {}, "arguments")
                if piece:
                    out["tool_calls"][ref._get(c, "index")]["function"]["arguments"] = piece
    return out


@skill.mistake("reassemble_chat_stream", "all tool-call fragments merged into one call, ignoring their index")
def ignores_tool_call_index(chunks):
    out = ref.reassemble_chat_stream(chunks)
    if len(out["tool_calls"]) > 1:
        first = out["tool_calls"][0]
        for other in out["tool_calls"][1:]:
            first["function"]["arguments"] += other["function"]["arguments"]
        out["tool_calls"] = [first]
    return out


@skill.mistake("count_chat_tokens", "prompt tokens without the assistant primer")
def forgets_primer(messages, encode):
    return ref.count_chat_tokens(messages, encode) - len(encode("assistant:"))


@skill.mistake("count_chat_tokens", "prompt tokens of the contents only (roles not counted)")
def contents_only(messages, encode):
    return sum(len(encode(m.get("content") or "")) for m in messages)


@skill.mistake("estimate_cost", "completion tokens charged at the prompt price")
def prompt_price_for_completion(usage, model, prices):
    p = prices[model]["prompt"]
    return (ref._get(usage, "prompt_tokens") + ref._get(usage, "completion_tokens")) * p / 1e6


@skill.mistake("estimate_cost", "prices read as per 1K tokens instead of per 1M")
def per_thousand(usage, model, prices):
    return ref.estimate_cost(usage, model, prices) * 1000


def _retry(fn, max_attempts, sleep, delay_before, retry_if):
    sleep = sleep or time.sleep
    for attempt in range(1, max_attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if not retry_if(exc) or attempt == max_attempts:
                raise
            sleep(delay_before(attempt))


@skill.mistake("call_with_retry", "retry without backoff (the same short delay every time)")
def no_backoff(fn, max_attempts=5, base_delay=0.5, max_delay=8.0, sleep=None, rng=None):
    return _retry(fn, max_attempts, sleep, lambda attempt: base_delay, ref.is_retryable)


@skill.mistake("call_with_retry", "retrying every error, bad requests included")
def retries_everything(fn, max_attempts=5, base_delay=0.5, max_delay=8.0, sleep=None, rng=None):
    return _retry(fn, max_attempts, sleep, lambda attempt: min(max_delay, base_delay * 2 ** (attempt - 1)), lambda exc: True)


@skill.mistake("call_with_retry", "max_attempts retries after the first call (one call too many)")
def one_attempt_too_many(fn, max_attempts=5, base_delay=0.5, max_delay=8.0, sleep=None, rng=None):
    return ref.call_with_retry(fn, max_attempts + 1, base_delay, max_delay, sleep, rng)


@skill.mistake("reduce_dimensions", "truncation without renormalising")
def truncates_only(vectors, dimensions):
    ref.reduce_dimensions(vectors, dimensions)  # same errors
    return np.asarray(vectors, dtype=np.float32)[:, :dimensions].copy()


@skill.mistake("embed_in_batches", "the last, partial batch is dropped")
def drops_partial_batch(embed, texts, batch_size):
    texts = list(texts)
    whole = len(texts) - len(texts) % batch_size
    return ref.embed_in_batches(embed, texts[:whole], batch_size) if whole else np.zeros((0, 0), np.float32)
