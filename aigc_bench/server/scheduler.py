"""The engine's step loop as a background asyncio task.

Continuous batching lives in the engine: each `engine.step()` advances every
running request by one token, and requests added between steps join the next
one. This module only feeds it: a request handler calls `submit`, gets an
asyncio queue, and reads `(token_id, finished)` pairs from it while the loop
task calls `step()` as long as the engine has work.

Every engine call (add_request, step, abort) runs on one worker thread, in
order: the event loop stays free to accept connections during a step, and the
engine never sees two calls at once, so it needs no locking of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from dataclasses import dataclass, field

log = logging.getLogger("aigc_bench.server")


@dataclass
class Stream:
    """One submitted request as its handler sees it."""

    request_id: int
    tokens: asyncio.Queue  # (token_id, finished) pairs; an Exception if the engine failed
    submitted: float = field(default_factory=time.perf_counter)
    first_token: float | None = None
    done: bool = False


class EngineLoop:
    def __init__(self, engine, metrics=None):
        self.engine = engine
        self.metrics = metrics
        self.streams: dict[int, Stream] = {}
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.steps = 0

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="engine-loop")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._worker.shutdown(wait=True, cancel_futures=True)

    async def _call(self, fn, *args, **kwargs):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, lambda: fn(*args, **kwargs))

    # ---------------------------------------------------------------- requests
    async def submit(self, prompt_ids: list[int], max_new_tokens: int, *, temperature: float, top_p: float, seed: int | None, stop_ids=()) -> Stream:
        request_id = await self._call(
            self.engine.add_request,
            list(prompt_ids),
            max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            seed=seed,
            stop_ids=tuple(stop_ids),
        )
        stream = Stream(request_id, asyncio.Queue())
        self.streams[request_id] = stream
        self._update_gauges()
        self._wake.set()
        return stream

    def release(self, stream: Stream) -> None:
        """Forget a stream; abort it in the engine if it is still generating (a client
        that went away, a stop string reached): its batch slot is freed for the next step.

        Synchronous on purpose: it runs in the `finally` of a handler being cancelled
        (client disconnect), where any await would be cancelled again; the abort is
        queued on the engine thread, ahead of the next step."""
        if self.streams.pop(stream.request_id, None) is not None and not stream.done:
            stream.done = True
            self._worker.submit(_quiet_abort, self.engine, stream.request_id)
            if self.metrics is not None:
                self.metrics.aborted.inc()
        self._update_gauges()

    # ---------------------------------------------------------------- the loop
    async def _run(self) -> None:
        while True:
            try:
                # cleared before the step: a request submitted at any later moment sets it again
                self._wake.clear()
                events = await self._call(self._step_if_work)  # one thread hop per step
                if events is None:
                    await self._wake.wait()
                    continue
            except Exception as exc:  # a broken engine fails its requests, not the server
                log.exception("engine.step failed")
                for stream in list(self.streams.values()):
                    stream.tokens.put_nowait(RuntimeError(f"the engine failed: {exc}"))
                    stream.done = True
                    await self._call(_quiet_abort, self.engine, stream.request_id)
                self.streams.clear()
                continue
            self.steps += 1
            now = time.perf_counter()
            for request_id, token_id, finished in events:
                stream = self.streams.get(request_id)
                if stream is None:
                    continue  # released while the step ran
                if stream.first_token is None:
                    stream.first_token = now
                stream.tokens.put_nowait((int(token_id), bool(finished)))
                if finished:
                    stream.done = True
            if self.metrics is not None:
                self.metrics.generated_tokens.inc(len(events))
                self.metrics.observe_tokens(len(events), now)
            self._update_gauges()
            await asyncio.sleep(0)  # let handlers run between steps

    def _step_if_work(self):
        """On the engine thread: a step, or None when the engine is idle."""
        return self.engine.step() if self.engine.has_work() else None

    def _update_gauges(self) -> None:
        if self.metrics is None:
            return
        live = [s for s in self.streams.values() if not s.done]
        self.metrics.running.set(sum(1 for s in live if s.first_token is not None))
        self.metrics.queue_depth.set(sum(1 for s in live if s.first_token is None))


def _quiet_abort(engine, request_id) -> None:
    try:
        engine.abort(request_id)
    except Exception:
        pass
