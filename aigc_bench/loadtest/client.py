"""One streamed request against an OpenAI-compatible endpoint, timed chunk by chunk.

Timestamps are time.perf_counter() taken as each SSE event is parsed. A
chunk "carries output" when it has non-empty text (completions), content or
tool-call arguments (chat). Output tokens are the server's `usage`
(requested with stream_options.include_usage) and, for servers that do not
send usage, the number of output chunks.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import aiohttp


@dataclass
class RequestOutcome:
    success: bool
    send_time: float
    chunk_times: list[float] = field(default_factory=list)
    end_time: float = 0.0
    prompt_tokens: int = 0
    output_tokens: int = 0
    text: str = ""
    error: str = ""


def request_body(endpoint: str, model: str, prompt: str, output_len: int, ignore_eos: bool = False) -> dict:
    body = {"model": model, "max_tokens": output_len, "temperature": 0.0, "stream": True, "stream_options": {"include_usage": True}}
    if ignore_eos:
        body["ignore_eos"] = True  # vLLM's extension: outputs reach output_len (OpenAI itself rejects the field)
    if endpoint == "chat":
        body["messages"] = [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    return body


def _output_of(chunk: dict) -> str:
    choices = chunk.get("choices") or []
    if not choices:
        return ""
    choice = choices[0]
    if "text" in choice:
        return choice.get("text") or ""
    delta = choice.get("delta") or {}
    text = delta.get("content") or ""
    for call in delta.get("tool_calls") or []:
        text += (call.get("function") or {}).get("arguments") or ""
    return text


async def stream_request(session: aiohttp.ClientSession, url: str, body: dict, headers: dict | None = None) -> RequestOutcome:
    outcome = RequestOutcome(success=False, send_time=time.perf_counter())
    usage = None
    pieces: list[str] = []
    try:
        async with session.post(url, json=body, headers=headers) as response:
            if response.status != 200:
                outcome.error = f"HTTP {response.status}: {(await response.text())[:300]}"
                outcome.end_time = time.perf_counter()
                return outcome
            buffer = b""
            async for data in response.content.iter_any():
                now = time.perf_counter()
                buffer += data
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    for line in event.split(b"\n"):
                        if not line.startswith(b"data:"):
                            continue
                        payload = line[5:].strip()
                        if payload == b"[DONE]":
                            continue
                        chunk = json.loads(payload)
                        if chunk.get("usage"):
                            usage = chunk["usage"]
                        text = _output_of(chunk)
                        if text:
                            outcome.chunk_times.append(now)
                            pieces.append(text)
            outcome.end_time = time.perf_counter()
    except (aiohttp.ClientError, OSError, ValueError, TimeoutError) as exc:
        outcome.end_time = time.perf_counter()
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    outcome.text = "".join(pieces)
    if not outcome.chunk_times:
        outcome.error = "the response carried no output"
        return outcome
    outcome.prompt_tokens = int(usage.get("prompt_tokens", 0)) if usage else 0
    outcome.output_tokens = int(usage.get("completion_tokens", 0)) if usage else len(outcome.chunk_times)
    outcome.success = True
    return outcome
