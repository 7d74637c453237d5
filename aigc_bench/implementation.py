"""The implementation under test, as a suite sees it.

`impl.softmax(x)` calls the backend's `softmax` through guards that hold for
every skill, so that suites never repeat them:

- a missing function raises the contract's "implement softmax for week 1-2"
  message; a module that failed to import fails with its file and line;
- inputs must not be mutated (copies are compared after the call);
- the implementation must not hand the work to the reference it is judged
  against: calls into torch/transformers (or, for a backend honestly built on
  torch, into the skill's named reference functions) are caught;
- every call is remembered so that a failing test can be compared with the
  catalogue of common mistakes ("matches attention without the 1/sqrt(d) scale").

Benchmarks time `impl.raw("softmax")`, the bare function.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import registry
from .contract import Skill


class ContractViolation(AssertionError):
    """An implementation broke a rule every skill shares (mutation, reference call, ...)."""


class NotImplementedYet(BaseException):
    """A contract function the implementation has not written yet (the stub's TODO).

    A BaseException so that hypothesis stops at the first example instead of
    shrinking, and `assert_raises_clearly` does not mistake it for the error a
    contract asks for."""



# Standard-library functions that importing torch replaces with its own (torch.package
# patches inspect.getfile): library code such as numba's JIT compiler calls them as the
# standard library, so they are not the implementation calling torch. Likewise the
# import-system hook transformers installs in sys.meta_path: every import made during a
# call (numba compiling a kernel on first use) asks it for a module spec.
TORCH_PATCHED_STDLIB = frozenset(
    {
        "torch.package.package_importer._patched_getfile",
        "transformers.utils.import_utils.find_spec",
        "transformers._resolve_legacy_module_alias",
    }
)


@dataclass
class Call:
    function: str
    args: tuple
    kwargs: dict
    output: Any


class Implementation:
    """`isolated`: run every call in a worker process with `limits` (see aigc_bench.isolation)."""

    def __init__(self, backend: registry.Backend, skill: Skill, isolated: bool = False, limits=None):
        self.backend = backend
        self.skill = skill
        self.calls: deque[Call] = deque(maxlen=16)
        self.isolated = isolated
        self.limits = limits

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def built_on_torch(self) -> bool:
        return self.backend.built_on == "torch"

    def __repr__(self) -> str:
        return f"<{self.skill.name} by {self.backend.name}>"

    def has(self, function: str) -> bool:
        """Optional capabilities are detected, not assumed."""
        if self.isolated:
            from . import isolation

            return isolation.call(self.backend, self.skill, isolation.HAS, (function,), {}, self.limits)
        try:
            return registry.resolve_function(self.backend, self.skill, function) is not None
        except registry.ImplementationBroken:
            return False

    # ------------------------------------------------------------------ calling
    def raw(self, function: str) -> Callable:
        """The bare function (for timing), or raise the contract's TODO message."""
        if function not in self.skill.functions and function not in self.skill.optional:
            raise AttributeError(f"{function!r} is not part of the {self.skill.name} contract")
        try:
            fn = registry.resolve_function(self.backend, self.skill, function)
        except registry.ImplementationBroken as exc:
            raise registry.ImplementationBroken(
                f"{self.backend.name}'s {self.skill.name} module is broken: {exc}"
            ) from None
        if fn is None:
            raise NotImplementedYet(self.skill.todo_message(function))
        return fn

    def __getattr__(self, function: str) -> Callable:
        if function.startswith("_"):
            raise AttributeError(function)
        if self.isolated:
            return self._isolated(function)
        fn = self.raw(function)

        def guarded(*args, **kwargs):
            before = _snapshot((args, kwargs))
            with ReferenceGuard(self) as guard, TimerGuard(self.name, function):
                try:
                    output = fn(*args, **kwargs)
                except NotImplementedError as exc:
                    raise NotImplementedYet(str(exc) or self.skill.todo_message(function)) from None
            guard.check(function)
            _check_not_mutated(before, (args, kwargs), function)
            self.calls.append(Call(function, before[0], before[1], output))
            return output

        guarded.__name__ = function
        return guarded

    def _isolated(self, function: str) -> Callable:
        from . import isolation

        if function not in self.skill.functions and function not in self.skill.optional:
            raise AttributeError(f"{function!r} is not part of the {self.skill.name} contract")

        def in_worker(*args, **kwargs):
            output = isolation.call(self.backend, self.skill, function, args, kwargs, self.limits)
            self.calls.append(Call(function, _copy(args), _copy(kwargs), output))
            return output

        in_worker.__name__ = function
        return in_worker

    # ------------------------------------------------------------------ diagnosis
    def likely_mistake(self) -> str | None:
        """The catalogued mistake whose outputs match this implementation's on every
        recorded call (and differ from the reference's on at least one), if any."""
        if self.backend.kind == "mistake":
            return None
        reference = registry.Backend(registry.REFERENCE_BACKEND, "bundled", f"impls.{registry.REFERENCE_BACKEND}")
        for mistake in self.skill.mistakes:
            calls = [c for c in self.calls if c.function == mistake.function]
            if not calls:
                continue
            try:
                good = registry.resolve_function(reference, self.skill, mistake.function)
                matches, discriminates = True, False
                for c in calls:
                    wrong = mistake.fn(*_copy(c.args), **_copy(c.kwargs))
                    if not _same(c.output, wrong):
                        matches = False
                        break
                    if good is not None and not _same(good(*_copy(c.args), **_copy(c.kwargs)), wrong):
                        discriminates = True
            except Exception:
                continue
            if matches and discriminates:
                return mistake.description
        return None


class ReferenceGuard:
    """Watches, with sys.setprofile, for calls into the reference libraries."""

    def __init__(self, impl: Implementation):
        self.impl = impl
        self.caught: str | None = None
        self.forbidden_objects = {
            id(obj): dotted for dotted, obj in _resolve_all(impl.skill.reference_functions)
        }
        self.forbidden_prefixes = () if impl.built_on_torch else tuple(impl.skill.reference_libraries)

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)
        return False

    def _hook(self, frame, event, arg):
        if self.caught is not None:
            return
        if event == "c_call":
            if id(arg) in self.forbidden_objects:
                self.caught = self.forbidden_objects[id(arg)]
                return
            owner = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__
            if owner and owner.startswith(self.forbidden_prefixes):
                self.caught = f"{owner}.{getattr(arg, '__name__', arg)}"
        elif event == "call":
            module = frame.f_globals.get("__name__", "")
            called = f"{module}.{frame.f_code.co_name}"
            if self.forbidden_prefixes and module.startswith(self.forbidden_prefixes) and called not in TORCH_PATCHED_STDLIB:
                self.caught = called
            elif self.forbidden_objects:
                for fid, dotted in self.forbidden_objects.items():
                    code = getattr(_OBJECTS.get(fid), "__code__", None)
                    if code is frame.f_code:
                        self.caught = dotted

    def check(self, function: str) -> None:
        if self.caught:
            raise ContractViolation(
                f"{self.impl.name}'s {function} called {self.caught}: an implementation may not hand "
                f"the work to the reference it is judged against"
                + ("" if self.impl.built_on_torch else " (declare BUILT_ON = 'torch' in a torch backend)")
            )


class TimerGuard:
    """Timing is the harness's: an implementation that replaces a clock in `time`
    (to make itself look fast) is caught, and the clock is put back."""

    CLOCKS = ("perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "time_ns", "process_time", "process_time_ns")

    def __init__(self, who: str, function: str):
        self.who, self.function = who, function

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        changed = [name for name in self.CLOCKS if getattr(time, name) is not _ORIGINAL_CLOCKS[name]]
        for name in changed:
            setattr(time, name, _ORIGINAL_CLOCKS[name])
        if changed and exc[0] is None:
            raise ContractViolation(f"{self.who}'s {self.function} replaced time.{changed[0]}: timing is taken by the harness and may not be tampered with")
        return False


_ORIGINAL_CLOCKS = {name: getattr(time, name) for name in TimerGuard.CLOCKS}

_OBJECTS: dict[int, Any] = {}


def _resolve_all(dotted_names):
    """The named reference functions, resolved only where their library is already
    imported: code that has not imported torch cannot be holding torch's functions
    (and a call made after importing it is caught by the module-prefix rule)."""
    import importlib

    for dotted in dotted_names:
        module_name, _, attr = dotted.rpartition(".")
        if module_name.split(".")[0] not in sys.modules:
            continue
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue
        _OBJECTS[id(obj)] = obj
        yield dotted, obj


# ------------------------------------------------------------------ copies and comparisons


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy(order="K")
    if type(value).__module__.startswith("torch") and hasattr(value, "clone"):
        return value.clone()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _snapshot(args_kwargs):
    args, kwargs = args_kwargs
    return _copy(args), _copy(kwargs)


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if type(a).__module__.startswith("torch") and hasattr(a, "equal"):
        return bool(a.equal(b))
    return True  # scalars and opaque objects cannot be mutated in place by the callee


# Keyword arguments that are outputs, not inputs (NumPy's `out=`): a kernel writes its
# result into the caller's buffer (the week 11 suite hands in guarded buffers that way).
OUTPUT_ARGUMENTS = ("out",)


def _check_not_mutated(before, after, function: str) -> None:
    (args0, kwargs0), (args1, kwargs1) = before, after
    for i, (a, b) in enumerate(zip(args0, args1)):
        if not _equal(a, b):
            raise ContractViolation(f"{function} mutated its input argument {i}: inputs must be left unchanged")
    for k in kwargs0:
        if k not in OUTPUT_ARGUMENTS and not _equal(kwargs0[k], kwargs1[k]):
            raise ContractViolation(f"{function} mutated its input {k!r}: inputs must be left unchanged")


def _same(a, b, rtol=1e-4, atol=1e-5) -> bool:
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
