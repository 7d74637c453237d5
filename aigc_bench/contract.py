"""Skill contracts: what an implementation of a roadmap skill must provide.

A contract is written once, next to its suite, as real Python: a `Skill` and
stub functions whose signature and docstring *are* the specification
(shapes, dtypes, the errors raised). Implementations are modules that define
functions of the same names; `aigc-bench new-learner` copies the stubs into a
learner's folder.

    attention = Skill("attention", weeks=(1, 2), summary="scaled dot-product attention")

    @attention.function
    def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
        '''q: [..., Lq, d] ... returns [..., Lq, dv]'''
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass
class Mistake:
    """A catalogued learner mistake: one contract function replaced by a broken one."""

    skill: str
    function: str  # the contract function it stands in for
    description: str  # shown to a learner whose output matches it
    fn: Callable

    @property
    def slug(self) -> str:
        return self.fn.__name__


@dataclass
class Skill:
    """One roadmap skill: a name, its weeks, and the functions it requires."""

    name: str
    weeks: tuple[int, ...]
    summary: str
    roadmap: str = ""  # which roadmap days / checkpoint it comes from
    optional: tuple[str, ...] = ()  # capabilities detected, not required
    # dotted names of the reference an implementation is judged against; calling them
    # is caught even in a backend that declares itself built on torch
    reference_functions: tuple[str, ...] = ()
    # Libraries the skill is judged against: a backend not built on them may not call
    # into them at all. () for skills whose inputs include callbacks that legitimately
    # use torch (an embedding function handed to a few-shot selector).
    reference_libraries: tuple[str, ...] = ("torch", "transformers")
    # False for skills whose functions call back into objects the test holds (an LLM
    # client, a tool registry): a worker process would run them on copies.
    isolatable: bool = True
    functions: dict[str, Callable] = field(default_factory=dict)
    mistakes: list[Mistake] = field(default_factory=list)
    source: str = ""  # the contract file, for error messages

    def function(self, stub: Callable) -> Callable:
        """Decorator: declare `stub` (signature + docstring) as part of the contract."""
        self.functions[stub.__name__] = stub
        if not self.source:
            self.source = _relative(inspect.getsourcefile(stub) or "")
        return stub

    def mistake(self, function: str, description: str) -> Callable[[Callable], Callable]:
        """Decorator: catalogue a common mistake in `function` (see `Mistake`)."""
        if function not in self.functions:
            raise KeyError(f"{self.name} has no contract function {function!r}")

        def register(fn: Callable) -> Callable:
            self.mistakes.append(Mistake(self.name, function, description, fn))
            return fn

        return register

    @property
    def week_label(self) -> str:
        return "-".join(str(w) for w in self.weeks)

    def todo_message(self, function: str) -> str:
        return (
            f"implement {function} for week {self.week_label} "
            f"({self.name}): see {self.source}"
        )


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def cache_root() -> Path:
    """Where aigc-bench keeps what it builds or trains once (compiled kernels, tuned
    models): $AIGC_BENCH_CACHE, else ~/.cache/aigc-bench."""
    return Path(os.environ.get("AIGC_BENCH_CACHE") or Path.home() / ".cache" / "aigc-bench")


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return path
