"""Running untrusted implementations in a worker process with time and memory limits.

With isolation on (`--isolate learners`, the default, or `--isolate all` to
include the native kernels), every call an `Implementation` makes goes to a
worker process of its own (one per implementation, started on first use and
restarted after a crash), which runs the same guarded call
(see aigc_bench.implementation) and sends the result back. A segfault, an
endless loop (past `--time-limit`) or an allocation past `--memory-limit`
(RLIMIT_AS in the worker) fails only that implementation's tests, with the
signal or the limit named; the run goes on.

What is isolated is the call: an object an implementation returns (a cache
instance, say) comes back to the test process and its methods run there.
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
import signal
import traceback
from dataclasses import dataclass

from . import registry


class ImplementationCrashed(BaseException):
    """The implementation's worker died or hit a limit. A BaseException, so that
    hypothesis does not rerun (and re-crash) it to shrink the example."""


STARTUP_SECONDS = 120.0  # a generous bound on starting a worker (Python, NumPy, the module) on a busy machine
HAS = "__has__"  # the pseudo-call asking the worker whether a function exists


@dataclass(frozen=True)
class Limits:
    seconds: float = 60.0
    memory_bytes: int = 8 * 2**30

    def describe_memory(self) -> str:
        return f"{self.memory_bytes / 2**30:g} GiB"


def _serve(conn, backend: registry.Backend, skill, memory_bytes: int) -> None:
    """The worker: apply the memory limit, then answer calls until the pipe closes.
    (The skill arrives pickled: only its own contract module is imported here.)"""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from .implementation import Implementation

    impl = Implementation(backend, skill, isolated=False)
    try:  # import the implementation's module now, so that the time limit covers calls only
        impl.has(next(iter(skill.functions)))
    except BaseException:  # noqa: BLE001 - a broken module is reported by the call itself
        pass
    conn.send(("ready", None))
    while True:
        try:
            function, args, kwargs = conn.recv()
        except EOFError:
            return
        try:
            output = impl.has(*args) if function == HAS else getattr(impl, function)(*args, **kwargs)
            reply = ("ok", output)
        except MemoryError:
            reply = ("memory", None)
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the test
            reply = ("error", exc)
        try:
            conn.send(reply)
        except Exception:  # an exception or output that does not pickle
            kind, value = reply
            text = "".join(traceback.format_exception_only(type(value), value)).strip() if kind == "error" else f"an output of type {type(value).__name__}"
            conn.send(("error", RuntimeError(f"{text} (could not be sent back from the isolated worker)")))


class Worker:
    def __init__(self, backend: registry.Backend, skill, limits: Limits):
        self.backend, self.skill, self.limits = backend, skill, limits
        self.process = None
        self.conn = None

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, self.backend, self.skill, self.limits.memory_bytes), daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        # Starting Python and importing the module is not the implementation's time.
        if not parent.poll(STARTUP_SECONDS + self.limits.seconds):
            self.stop()
            raise ImplementationCrashed(f"{self.backend.name}'s {self.skill.name} worker did not start within {STARTUP_SECONDS + self.limits.seconds:g} s (does importing the module hang?)")
        try:
            parent.recv()
        except (EOFError, ConnectionError):
            code = self.process.exitcode
            self.stop()
            raise ImplementationCrashed(f"{self.backend.name}'s {self.skill.name} module crashed its worker while being imported (exit status {code})") from None

    def stop(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.process = self.conn = None

    def call(self, function: str, args: tuple, kwargs: dict):
        if self.process is None or not self.process.is_alive():
            self._start()
        who = f"{self.backend.name}'s {function}"
        try:
            self.conn.send((function, args, kwargs))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ImplementationCrashed(f"the inputs of {who} cannot be sent to an isolated worker: {exc}") from None
        if not self.conn.poll(self.limits.seconds):
            self.stop()
            raise ImplementationCrashed(f"{who} did not return within the time limit of {self.limits.seconds:g} s (killed; --time-limit to change)")
        try:
            kind, value = self.conn.recv()
        except (EOFError, ConnectionError):
            self.process.join(5)
            code = self.process.exitcode
            self.stop()
            if code is not None and code < 0:
                name = signal.Signals(-code).name
                raise ImplementationCrashed(f"{who} crashed the worker with {name} (signal {-code})") from None
            raise ImplementationCrashed(f"{who} ended the worker (exit status {code})") from None
        if kind == "memory":
            self.stop()  # a worker that ran out of memory may be in a bad state
            raise ImplementationCrashed(f"{who} exceeded the memory limit of {self.limits.describe_memory()} (--memory-limit to change)")
        if kind == "error":
            raise value
        return value


_WORKERS: dict[tuple, Worker] = {}


def call(backend: registry.Backend, skill, function: str, args: tuple, kwargs: dict, limits: Limits):
    key = (backend, skill.name)
    worker = _WORKERS.get(key)
    if worker is None:
        worker = _WORKERS[key] = Worker(backend, skill, limits)
    return worker.call(function, args, kwargs)


def stop_all() -> None:
    for worker in _WORKERS.values():
        worker.stop()
    _WORKERS.clear()
