"""Vector index: lsh (roadmap Day 25-28). The common checks are in ann_suite.py."""

from .ann_suite import *  # noqa: F401,F403  (the checks every index passes)

SKILL = "ann_lsh"

import numpy as np

from aigc_bench.checks import fail

from .ann_suite import K, N, dataset

MAX_SCANNED_FRACTION = 0.5  # at default parameters LSH must scan at most half the corpus per query


def test_lsh_scans_a_fraction_of_the_corpus(impl, record_metric):
    """Hashing is only worth it when a query looks at a small part of the corpus."""
    base, queries = dataset()
    index = impl.build(base, "l2")
    before = impl.distance_computations(index)
    impl.batch_search(index, queries, K)
    fraction = (impl.distance_computations(index) - before) / (len(queries) * N)
    record_metric("scanned_fraction", fraction, "", "lower")
    if fraction <= 0:
        fail("distance_computations did not grow during searches: it must count query-to-vector distances")
    if fraction > MAX_SCANNED_FRACTION:
        fail(f"LSH computed distances to {fraction:.0%} of the corpus per query at default parameters "
             f"(at most {MAX_SCANNED_FRACTION:.0%} allowed): buckets too coarse; a single hash bit per table?")
