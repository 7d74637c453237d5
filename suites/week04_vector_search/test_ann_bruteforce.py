"""Vector index: bruteforce (roadmap Day 25-28). The common checks are in ann_suite.py."""

from .ann_suite import *  # noqa: F401,F403  (the checks every index passes)
from .ann_suite import check_distances_are_true, check_well_formed  # noqa: F401

SKILL = "ann_bruteforce"

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import fail

from . import annbench
from .contract import METRICS


@settings(max_examples=25)
@given(n=S.lengths(300), d=S.lengths(40), k=st.integers(1, 20), metric=st.sampled_from(METRICS), seed=st.integers(0, 2**32 - 1))
def test_matches_float64_exact_search(impl, n, d, k, metric, seed):
    """Exact search: the returned neighbours are the float64 k nearest (up to ties)."""
    rng = np.random.default_rng(seed)
    base = (rng.standard_normal((n, d)) * rng.uniform(0.2, 3.0, (n, 1))).astype(np.float32)  # varied norms
    queries = rng.standard_normal((7, d)).astype(np.float32)
    ids, dist = impl.batch_search(impl.build(base, metric), queries, k)
    check_well_formed(ids, dist, n, k)  # noqa: F405
    got = annbench.returned_true_distances(queries, base, np.asarray(ids), metric)
    _, want = annbench.exact_neighbours(queries, base, metric, k)
    scale = max(1.0, float(np.abs(want).max()))
    err = np.abs(got - want).max()
    if not err <= 1e-5 * scale:
        fail(f"exact search ({metric}, n={n}, d={d}, k={k}) returned neighbours whose float64 distances differ "
             f"from the true k nearest by {err:.3g}: not the exact top-k")
    check_distances_are_true(queries, base, ids, dist, metric)  # noqa: F405
