"""Vector index: ivf (roadmap Day 25-28). The common checks are in ann_suite.py."""

from .ann_suite import *  # noqa: F401,F403  (the checks every index passes)

SKILL = "ann_ivf"

import numpy as np

from aigc_bench.checks import fail

from . import annbench
from .ann_suite import K, dataset, truth


def test_nprobe_controls_recall(impl, record_metric):
    """nprobe = nlist scans every list (exact); nprobe = 1 scans one (faster, lower recall)."""
    base, queries = dataset()
    nlist = 16
    index = impl.build(base, "l2", nlist=nlist)
    recalls = {}
    for nprobe in (1, nlist):
        impl.set_search_params(index, nprobe=nprobe)
        ids, _ = impl.batch_search(index, queries, K)
        recalls[nprobe] = annbench.recall_at_k(queries, base, np.asarray(ids), truth("l2")[1], "l2", K)
        record_metric(f"recall@10_nprobe{nprobe}", recalls[nprobe], "", "higher")
    if recalls[nlist] < 0.999:
        fail(f"with nprobe = nlist = {nlist} every list is scanned, so recall@10 must be 1.0; got {recalls[nlist]:.3f} "
             f"(at nprobe=1: {recalls[1]:.3f}): does set_search_params ignore nprobe?")
    if recalls[1] >= recalls[nlist] and recalls[1] > 0.999:
        fail("nprobe=1 already gives exact results on clustered data with 16 lists: is nprobe ignored (all lists scanned)?")
