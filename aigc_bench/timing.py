"""Timing that an implementation cannot fool.

`bench_fresh(benchmark, fn, make_inputs, check)` times `fn` with pytest-benchmark
(the harness's clock, taken before any implementation code ran) on a different
input every round, and afterwards checks every round's output against `check`:
an implementation that caches answers across calls, or returns something cheap
instead of computing, fails with that reason instead of looking fast. Clocks
replaced by the implementation are caught by the guard on every call
(aigc_bench.implementation.TimerGuard).
"""

from __future__ import annotations

import itertools

from .implementation import ContractViolation


def bench_fresh(benchmark, fn, make_inputs, check, variants: int = 4, rounds: int = 10, warmup_rounds: int = 1):
    """Time fn(*make_inputs(i)) rotating over `variants` distinct inputs; `check(inputs, output)`
    raises (or returns False) when an output is wrong for its inputs."""
    inputs = [make_inputs(i) for i in range(variants)]
    order = itertools.cycle(range(variants))
    seen: list[tuple[int, object]] = []

    def setup():
        index = next(order)
        seen.append((index, None))
        return inputs[index], {}

    def timed(*args):
        output = fn(*args)
        seen[-1] = (seen[-1][0], output)
        return output

    benchmark.pedantic(timed, setup=setup, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1)
    for index, output in seen:
        try:
            ok = check(inputs[index], output)
        except AssertionError as exc:
            raise ContractViolation(f"inside the timed loop, the output for input variant {index} is wrong ({exc}): an implementation may not cache or skip work while timed") from None
        if ok is False:
            raise ContractViolation(f"inside the timed loop, the output for input variant {index} is wrong: an implementation may not cache or skip work while timed")
    return seen[-1][1]
