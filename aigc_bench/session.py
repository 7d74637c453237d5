"""What the running test is, for messages that must name it (replay commands, likely mistakes).

The pytest plugin sets `current` around each test; checks read it."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field


@dataclass
class TestContext:
    nodeid: str
    seed: int
    implementations: list = field(default_factory=list)  # Implementation objects the test used


current: TestContext | None = None
seed: int | None = None  # the run's seed (hypothesis and our own generators)


def replay_hint() -> str:
    if current is None:
        return ""
    return f"replay: pytest {shlex.quote(current.nodeid)} --hypothesis-seed={current.seed}"


def likely_mistake() -> str | None:
    if current is None:
        return None
    for impl in current.implementations:
        hint = impl.likely_mistake()
        if hint:
            return hint
    return None


def rng(salt: str = ""):
    """A NumPy generator seeded from the run's seed and the current test, so that
    inputs drawn outside hypothesis replay with the same --hypothesis-seed."""
    import zlib

    import numpy as np

    base = seed if seed is not None else 0
    nodeid = current.nodeid if current else ""
    return np.random.default_rng([base, zlib.crc32(f"{nodeid}|{salt}".encode())])
