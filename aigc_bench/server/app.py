"""The FastAPI application: OpenAI-compatible routes over the engine loop.

Routes: GET /v1/models, /v1/models/{id}, /health, /metrics;
POST /v1/completions, /v1/chat/completions (both with SSE streaming),
/v1/embeddings. Every error is an OpenAI-style body {"error": {...}} with a
4xx status; an unexpected exception is a 500 with such a body (the
hypothesis tests assert it never happens).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import logging
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from impls.numpy.openai_client import reduce_dimensions  # truncate + renormalise (the week 3 skill's reference)

from . import protocol, textgen, tools
from .engines import LoadedEngine
from .metrics import ServerMetrics
from .protocol import APIError
from .scheduler import EngineLoop

log = logging.getLogger("aigc_bench.server")

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DEFAULT_COMPLETION_MAX_TOKENS = 16  # OpenAI's legacy /v1/completions default
DEFAULT_CHAT_MAX_TOKENS = 256  # chat: at most this many, or what the context leaves
SEED_MASK = 2**64 - 1


@dataclass
class Generated:
    """One step of a generation as handlers see it."""

    text: str  # text delta (or a tool-call arguments fragment)
    completion_tokens: int
    finish_reason: str | None


def create_app(loaded: LoadedEngine, tokenizer=None, embedder=None) -> FastAPI:
    if tokenizer is None:
        from .tokens import minilm_tokens

        tokenizer = minilm_tokens()
    metrics = ServerMetrics()
    word_of = tools.word_of_token(tokenizer)
    embed_worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
    state = {"embedder": embedder}

    def get_embedder():
        if state["embedder"] is None:
            from aigc_bench.models import MiniLMEmbedder, minilm_sentence_transformer

            minilm_sentence_transformer()  # the model itself (cached)
            state["embedder"] = MiniLMEmbedder()
        return state["embedder"]

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.loop = EngineLoop(loaded.engine, metrics)
        app.state.loop.start()
        embed_worker.submit(get_embedder)  # load MiniLM in the background: the first request does not pay for it
        yield
        await app.state.loop.stop()
        embed_worker.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="aigc-bench OpenAI-compatible server", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.metrics = metrics
    app.state.loaded = loaded

    # ------------------------------------------------------------------ errors
    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return JSONResponse(APIError(exc.status_code, message, type=kind).body(), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse(APIError(500, f"internal error: {type(exc).__name__}", type="server_error").body(), status_code=500)

    app.add_middleware(RequestCounter, metrics=metrics)

    # ------------------------------------------------------------------ info
    def model_card(model_id: str) -> dict:
        return {"id": model_id, "object": "model", "created": 0, "owned_by": "aigc-bench"}

    @app.get("/v1/models")
    async def list_models():
        return {"object": "list", "data": [model_card(loaded.model_id), model_card(EMBEDDING_MODEL)]}

    @app.get("/v1/models/{model_id:path}")
    async def get_model(model_id: str):
        if model_id not in (loaded.model_id, EMBEDDING_MODEL):
            raise unknown_model(model_id)
        return model_card(model_id)

    @app.get("/health")
    async def health():
        return {"status": "ok", "model": loaded.model_id, "engine": loaded.source, "n_ctx": loaded.n_ctx,
                "embeddings_ready": state["embedder"] is not None}

    @app.get("/metrics")
    async def prometheus_metrics():
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    # ------------------------------------------------------------------ generation core
    def check_generation_model(name: str) -> None:
        if name != loaded.model_id:
            raise unknown_model(name)

    def budget(prompt_ids: list[int], requested: int | None, default: int) -> int:
        """max_tokens after checking the context window (OpenAI's context_length_exceeded)."""
        room = loaded.n_ctx - len(prompt_ids)
        wanted = requested if requested is not None else min(default, room)
        if room <= 0 or wanted > room:
            raise APIError(
                400,
                f"This model's maximum context length is {loaded.n_ctx} tokens. However, you requested "
                f"{len(prompt_ids) + max(wanted, 0)} tokens ({len(prompt_ids)} in the prompt, {max(wanted, 0)} for the completion). "
                "Please reduce the prompt or max_tokens.",
                param="max_tokens" if room > 0 else "messages",
                code="context_length_exceeded",
            )
        return wanted

    async def generate(req, prompt_ids, max_tokens, endpoint, started, writer=None, tokens=None):
        """Async iterator of Generated; releases the engine slot however it ends
        (finished, stop string, client gone: the generator is closed or cancelled).
        `tokens`, when given, receives the generated token ids."""
        loop: EngineLoop = app.state.loop
        temperature = 1.0 if req.temperature is None else req.temperature
        try:
            stream = await loop.submit(
                prompt_ids,
                max_tokens,
                temperature=temperature,
                top_p=1.0 if req.top_p is None else req.top_p,
                seed=None if req.seed is None else req.seed & SEED_MASK,
            )
        except (ValueError, TypeError) as exc:  # the engine's own input checks
            raise APIError(400, f"the engine rejected the request: {exc}") from None
        metrics.prompt_tokens.inc(len(prompt_ids))
        text = textgen.TextStream(tokenizer, req.stop_strings() if writer is None else [])
        tokens = [] if tokens is None else tokens
        sent_args = ""
        try:
            while True:
                item = await stream.tokens.get()
                if isinstance(item, Exception):
                    raise APIError(500, str(item), type="server_error")
                token_id, finished = item
                tokens.append(token_id)
                if len(tokens) == 1:
                    metrics.ttft.labels(endpoint).observe(time.perf_counter() - started)
                if writer is not None:  # constrained tool-call arguments
                    written, complete = writer(tokens)
                    delta, sent_args = written[len(sent_args):], written
                    if complete:
                        yield Generated(delta, len(tokens), "tool_calls")
                        return
                    yield Generated(delta, len(tokens), "length" if finished else None)
                    if finished:
                        return
                    continue
                delta = text.push(token_id)
                if text.stopped:
                    yield Generated(delta, len(tokens), "stop")
                    return
                if finished:
                    reason = "length" if len(tokens) >= max_tokens else "stop"
                    yield Generated(delta + text.flush(), len(tokens), reason)
                    return
                yield Generated(delta, len(tokens), None)
        finally:
            loop.release(stream)
            metrics.latency.labels(endpoint).observe(time.perf_counter() - started)

    def usage(prompt_tokens: int, completion_tokens: int) -> dict:
        return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}

    def sse(obj) -> bytes:
        return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

    # ------------------------------------------------------------------ /v1/completions
    @app.post("/v1/completions")
    async def completions(request: Request):
        started = time.perf_counter()
        req = protocol.parse(protocol.CompletionRequest, await request.body())
        check_generation_model(req.model)
        prompt = req.prompt[0] if isinstance(req.prompt, list) and req.prompt and isinstance(req.prompt[0], str) else req.prompt
        if isinstance(prompt, str):
            prompt_ids = textgen.encode(tokenizer, prompt)
        else:
            bad = [t for t in prompt if not 0 <= t < loaded.vocab_size]
            if bad:
                raise APIError(400, f"prompt token ids must be in [0, {loaded.vocab_size}); got {bad[0]}", param="prompt")
            prompt_ids = list(prompt)
        if not prompt_ids:
            raise APIError(400, "the prompt is empty (no tokens after tokenisation)", param="prompt")
        max_tokens = budget(prompt_ids, req.max_tokens, DEFAULT_COMPLETION_MAX_TOKENS)
        rid, created = f"cmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        echo = prompt if (req.echo and isinstance(prompt, str)) else ""

        def body(choice: dict, **extra) -> dict:
            return {"id": rid, "object": "text_completion", "created": created, "model": loaded.model_id, "choices": [choice], **extra}

        if not req.stream:
            parts, n, reason = [echo], 0, None
            async for g in generate(req, prompt_ids, max_tokens, "/v1/completions", started):
                parts.append(g.text)
                n, reason = g.completion_tokens, g.finish_reason
            return body({"text": "".join(parts), "index": 0, "logprobs": None, "finish_reason": reason}, usage=usage(len(prompt_ids), n))

        include_usage = bool(req.stream_options and req.stream_options.include_usage)

        async def events():
            n = 0
            if echo:
                yield sse(body({"text": echo, "index": 0, "logprobs": None, "finish_reason": None}))
            async for g in generate(req, prompt_ids, max_tokens, "/v1/completions", started):
                n = g.completion_tokens
                yield sse(body({"text": g.text, "index": 0, "logprobs": None, "finish_reason": g.finish_reason}))
            if include_usage:
                yield sse({"id": rid, "object": "text_completion", "created": created, "model": loaded.model_id, "choices": [], "usage": usage(len(prompt_ids), n)})
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    # ------------------------------------------------------------------ /v1/chat/completions
    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        started = time.perf_counter()
        req = protocol.parse(protocol.ChatCompletionRequest, await request.body())
        check_generation_model(req.model)
        check_tool_messages(req.messages)
        tool = chosen_tool(req)
        prompt_ids = textgen.chat_prompt_ids(tokenizer, req.messages)
        max_tokens = budget(prompt_ids, req.max_completion_tokens or req.max_tokens, DEFAULT_CHAT_MAX_TOKENS)
        rid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        call_id = f"call_{uuid.uuid4().hex[:24]}"

        writer = None
        name_from_token = None
        if tool is not None:
            if isinstance(tool, list):  # "required" among several tools: the first token picks one
                name_from_token = tool
                writers = {t.function.name: tools.ArgumentWriter(t.function.parameters, word_of) for t in tool}
                writer = lambda toks: writers[tool[toks[0] % len(tool)].function.name].write(toks[1:]) if toks[1:] else ("", False)  # noqa: E731
            else:
                writer = tools.ArgumentWriter(tool.function.parameters, word_of).write

        def tool_name(first_token: int) -> str:
            return name_from_token[first_token % len(name_from_token)].function.name if name_from_token else tool.function.name

        def chunk(delta: dict, finish_reason=None) -> dict:
            return {"id": rid, "object": "chat.completion.chunk", "created": created, "model": loaded.model_id, "system_fingerprint": loaded.source,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}

        if not req.stream:
            parts, n, reason, tokens = [], 0, None, []
            async for g in generate(req, prompt_ids, max_tokens, "/v1/chat/completions", started, writer, tokens):
                parts.append(g.text)
                n, reason = g.completion_tokens, g.finish_reason
            text = "".join(parts)
            message: dict = {"role": "assistant", "content": text}
            if writer is not None:
                message = {"role": "assistant", "content": None,
                           "tool_calls": [{"id": call_id, "type": "function", "function": {"name": tool_name(tokens[0] if tokens else 0), "arguments": text}}]}
            return {"id": rid, "object": "chat.completion", "created": created, "model": loaded.model_id, "system_fingerprint": loaded.source,
                    "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": reason}], "usage": usage(len(prompt_ids), n)}

        include_usage = bool(req.stream_options and req.stream_options.include_usage)

        async def events():
            n = 0
            yield sse(chunk({"role": "assistant", "content": "" if writer is None else None}))
            tokens: list[int] = []
            announced = False
            async for g in generate(req, prompt_ids, max_tokens, "/v1/chat/completions", started, writer, tokens):
                n = g.completion_tokens
                if writer is None:
                    if g.text:
                        yield sse(chunk({"content": g.text}))
                else:
                    if not announced and (g.text or g.finish_reason):
                        announced = True
                        yield sse(chunk({"tool_calls": [{"index": 0, "id": call_id, "type": "function", "function": {"name": tool_name(tokens[0]), "arguments": ""}}]}))
                    if g.text:
                        yield sse(chunk({"tool_calls": [{"index": 0, "function": {"arguments": g.text}}]}))
                if g.finish_reason:
                    yield sse(chunk({}, g.finish_reason))
            if include_usage:
                yield sse({"id": rid, "object": "chat.completion.chunk", "created": created, "model": loaded.model_id, "choices": [], "usage": usage(len(prompt_ids), n)})
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    def check_tool_messages(messages) -> None:
        known: set[str] = set()
        for i, m in enumerate(messages):
            for call in m.tool_calls or []:
                if m.role != "assistant":
                    raise APIError(400, f"messages.{i}: only assistant messages may carry tool_calls", param=f"messages.{i}.tool_calls")
                known.add(call.id)
            if m.role == "tool":
                if not m.tool_call_id:
                    raise APIError(400, f"messages.{i}: a tool message needs tool_call_id", param=f"messages.{i}.tool_call_id")
                if m.tool_call_id not in known:
                    raise APIError(400, f"messages.{i}: tool_call_id {m.tool_call_id!r} answers no earlier assistant tool call", param=f"messages.{i}.tool_call_id")

    def chosen_tool(req):
        """The forced tool (a Tool), the tools to choose among ("required"), or None for text."""
        choice, available = req.tool_choice, req.tools or []
        if isinstance(choice, protocol.NamedToolChoice):
            for t in available:
                if t.function.name == choice.function.name:
                    return t
            raise APIError(400, f"tool_choice names {choice.function.name!r}, which is not among tools", param="tool_choice")
        if choice == "required":
            if not available:
                raise APIError(400, "tool_choice 'required' needs at least one tool", param="tool_choice")
            return available[0] if len(available) == 1 else list(available)
        return None  # "none", "auto" or unset: text (see tools.py)

    # ------------------------------------------------------------------ /v1/embeddings
    @app.post("/v1/embeddings")
    async def embeddings(request: Request):
        req = protocol.parse(protocol.EmbeddingRequest, await request.body())
        if req.model != EMBEDDING_MODEL:
            raise unknown_model(req.model)
        texts = [req.input] if isinstance(req.input, str) else list(req.input)
        if req.dimensions is not None and req.dimensions > 384:
            raise APIError(400, f"dimensions must be at most 384 for {EMBEDDING_MODEL}; got {req.dimensions}", param="dimensions")

        def work():
            vectors = get_embedder().embed(texts)  # [n, 384], L2-normalised
            if req.dimensions is not None:
                vectors = reduce_dimensions(vectors, req.dimensions)
            counted = sum(len(ids) for ids in tokenizer(texts, truncation=True, max_length=256)["input_ids"])
            return vectors.astype(np.float32), counted

        started = time.perf_counter()
        vectors, counted = await asyncio.get_running_loop().run_in_executor(embed_worker, work)
        metrics.latency.labels("/v1/embeddings").observe(time.perf_counter() - started)

        def encode_vector(v: np.ndarray):
            if req.encoding_format == "base64":
                return base64.b64encode(v.astype("<f4").tobytes()).decode()
            return v.tolist()

        data = [{"object": "embedding", "index": i, "embedding": encode_vector(v)} for i, v in enumerate(vectors)]
        return {"object": "list", "data": data, "model": EMBEDDING_MODEL, "usage": {"prompt_tokens": counted, "total_tokens": counted}}

    return app


class RequestCounter:
    """Counts responses by endpoint and status (aigc_requests_total). A plain ASGI
    middleware: it only watches the response's start message, so streamed chunks
    pass straight through (FastAPI's @app.middleware("http") would relay each one
    through an extra task and memory stream)."""

    def __init__(self, app, metrics: ServerMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        endpoint = scope["path"] if scope["path"] in KNOWN_PATHS else "other"

        async def watching_send(message):
            if message["type"] == "http.response.start":
                self.metrics.requests.labels(endpoint, str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, watching_send)


KNOWN_PATHS = {"/v1/models", "/v1/completions", "/v1/chat/completions", "/v1/embeddings", "/metrics", "/health"}


def unknown_model(name: str) -> APIError:
    return APIError(404, f"The model `{name}` does not exist or you do not have access to it.", param="model", code="model_not_found")

