"""Vector index benchmarks (`pytest suites/week04_vector_search --bench`).

- batch_search timed with pytest-benchmark per algorithm, the implementation under
  test and its peers (faiss, hnswlib, ChromaDB backends) in one group each;
- the ann-benchmarks sweep on 10K x 384 clustered vectors: recall/QPS points, the
  Pareto plot and table under reports/ann/bench/, the target ratios recorded.
The full 100K sweep is `aigc-bench ann-bench` (docs/week03_04.md)."""

import numpy as np
import pytest

from aigc_bench.checks import fail

from . import annbench

N, DIM, N_QUERIES = 20_000, 384, 100
SEARCH_PARAMS = {"ann_hnsw": {"ef_search": 64}, "ann_ivf": {}, "ann_lsh": {}, "ann_bruteforce": {}}

_DATA = {}


def data():
    if not _DATA:
        _DATA["base"], _DATA["queries"] = annbench.clustered(N, DIM, N_QUERIES, seed=11)
        _DATA["truth"] = annbench.exact_neighbours(_DATA["queries"], _DATA["base"], "cosine", 10)[1]
    return _DATA["base"], _DATA["queries"], _DATA["truth"]


def time_batch_search(impl, benchmark, record_metric):
    if impl.name == "numpy" and impl.skill.name == "ann_hnsw":
        pytest.skip("the plain-Python HNSW is the readable reference (minutes to build 20K); its compiled twin is the numba backend")
    base, queries, truth = data()
    index = impl.build(base, "cosine")
    if SEARCH_PARAMS[impl.skill.name]:
        impl.set_search_params(index, **SEARCH_PARAMS[impl.skill.name])
    ids, _ = impl.batch_search(index, queries, 10)  # validated before timing
    recall = annbench.recall_at_k(queries, base, np.asarray(ids), truth, "cosine")
    if recall < 0.5:
        fail(f"recall@10 {recall:.3f} at the benchmark's parameters: not worth timing")
    record_metric("recall@10", recall, "", "higher")
    benchmark.group = f"{impl.skill.name} batch_search {N // 1000}K x {DIM}, {N_QUERIES} queries"
    benchmark.extra_info.update(recall=recall, memory_bytes=int(impl.memory_bytes(index)))
    benchmark(impl.raw("batch_search"), index, queries, 10)
    record_metric("qps_batch", N_QUERIES / benchmark.stats.stats.median, "1/s", "higher")


def _speed_test(skill: str):
    """A pytest-benchmark test of `skill`'s batch_search (every backend providing it)."""

    @pytest.mark.bench
    @pytest.mark.skill(skill)
    def test(impl, benchmark, record_metric):
        time_batch_search(impl, benchmark, record_metric)

    test.__name__ = f"test_{skill}_speed"
    return test


test_ann_bruteforce_speed = _speed_test("ann_bruteforce")
test_ann_hnsw_speed = _speed_test("ann_hnsw")
test_ann_ivf_speed = _speed_test("ann_ivf")
test_ann_lsh_speed = _speed_test("ann_lsh")


@pytest.mark.bench
def test_recall_qps_sweep(run_record, record_metric):
    """ann-benchmarks sweep of every algorithm and peer on 10K x 384 (the table and the Pareto plot)."""
    base, queries = annbench.clustered(10_000, DIM, N_QUERIES, seed=5)
    points = annbench.run_sweep(base, queries, "cosine", min_seconds=0.2, progress=False)
    result = annbench.write_outputs(points, "reports/ann/bench", f"clustered 10,000 x {DIM}, {N_QUERIES} queries, cosine")
    run_record.add_section("ann", result)
    for t in result["targets"]:
        if t["ratio"] is not None:
            record_metric(f"qps_ratio {t['ours']} / {t['peer']} @ recall {t['recall']}", t["ratio"], "x", "higher", target=t["target_ratio"])
    frontier_algorithms = {p.algorithm for p in points}
    assert {"ours HNSW (numba)", "hnswlib", "ours IVF", "faiss IVFFlat"} <= frontier_algorithms
