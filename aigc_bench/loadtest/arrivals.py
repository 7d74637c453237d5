"""Arrival schedules: the send time of each request, relative to the start of the run.

As vLLM's benchmark: with a finite rate, gaps are drawn from a gamma
distribution with shape `burstiness` and mean 1/rate (burstiness 1 is a
Poisson process; < 1 burstier, > 1 more regular); "fixed" sends exactly every
1/rate seconds; an infinite rate (or "all") sends everything at once.
"""

from __future__ import annotations

import math

import numpy as np

DISTRIBUTIONS = ("fixed", "poisson", "gamma", "all")


def send_offsets(n: int, rate: float, distribution: str = "poisson", burstiness: float = 1.0, seed: int = 0) -> np.ndarray:
    """[n] non-decreasing send times in seconds, the first at 0."""
    if n < 0:
        raise ValueError(f"the number of requests must be >= 0, got {n}")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"arrival distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")
    if not rate > 0:
        raise ValueError(f"the request rate must be positive (inf for all at once), got {rate}")
    if distribution == "all" or math.isinf(rate) or n == 0:
        return np.zeros(n)
    if distribution == "fixed":
        gaps = np.full(n, 1.0 / rate)
    else:
        shape = 1.0 if distribution == "poisson" else burstiness
        if not shape > 0:
            raise ValueError(f"burstiness must be positive, got {burstiness}")
        gaps = np.random.default_rng(seed).gamma(shape, 1.0 / (rate * shape), size=n)  # mean 1/rate
    gaps[0] = 0.0  # the first request goes out at once
    return np.cumsum(gaps)
