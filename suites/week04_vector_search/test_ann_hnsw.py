"""Vector index: hnsw (roadmap Day 25-28). The common checks are in ann_suite.py."""

from .ann_suite import *  # noqa: F401,F403  (the checks every index passes)

SKILL = "ann_hnsw"

import numpy as np

from aigc_bench.checks import fail

from . import annbench
from .ann_suite import K, built, dataset, truth


def test_ef_search_trades_recall_for_work(impl, record_metric):
    """A wider beam (ef_search) finds at least as many true neighbours."""
    base, queries = dataset()
    index = built(impl, "l2")
    recalls = {}
    for ef in (K, 200):
        impl.set_search_params(index, ef_search=ef)
        ids, _ = impl.batch_search(index, queries, K)
        recalls[ef] = annbench.recall_at_k(queries, base, np.asarray(ids), truth("l2")[1], "l2", K)
        record_metric(f"recall@10_ef{ef}", recalls[ef], "", "higher")
    impl.set_search_params(index, ef_search=64)
    if recalls[200] < 0.98:
        fail(f"recall@10 with ef_search=200 on 1,000 clustered vectors is {recalls[200]:.3f}; expected >= 0.98")
    if recalls[200] + 0.02 < recalls[K]:
        fail(f"recall fell from {recalls[K]:.3f} (ef_search={K}) to {recalls[200]:.3f} (ef_search=200): is ef_search used?")
