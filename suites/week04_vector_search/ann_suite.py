"""The checks every vector index passes (ours, a learner's, and the faiss/hnswlib/
ChromaDB adapters), imported by test_ann_<algorithm>.py, which sets SKILL.

Data: 1,000 clustered vectors of dimension 32 (annbench.clustered, seeded),
50 held-out queries, float64 ground truth; and MiniLM embeddings of real text
(the `minilm_corpus` fixture). Built indexes are cached per implementation and
metric for the module, so each is built once.
"""

import numpy as np
import pytest

from aigc_bench.checks import assert_raises_clearly, fail

from . import annbench
from .contract import ALGORITHMS, METRICS

N, DIM, N_QUERIES, K = 1000, 32, 50, 10

__all__ = [
    "test_results_are_well_formed", "test_recall_at_default_parameters", "test_search_agrees_with_batch_search",
    "test_add_extends_the_index", "test_recall_on_real_text_embeddings", "test_bad_input_is_a_clear_error",
    "test_memory_bytes_is_plausible", "test_k_larger_than_the_corpus",
]


def dataset():
    base, queries = annbench.clustered(N, DIM, N_QUERIES, seed=7)
    return base, queries


_TRUTH: dict = {}
_BUILT: dict = {}


def truth(metric: str):
    if metric not in _TRUTH:
        base, queries = dataset()
        _TRUTH[metric] = annbench.exact_neighbours(queries, base, metric, K)
    return _TRUTH[metric]


def built(impl, metric: str, base=None, key="clustered"):
    """The implementation's index over the suite's data (built once per module run)."""
    cache_key = (impl.name, impl.skill.name, metric, key)
    if cache_key not in _BUILT:
        base = dataset()[0] if base is None else base
        _BUILT[cache_key] = impl.build(base, metric)
    return _BUILT[cache_key]


def check_well_formed(ids, dist, n: int, k: int, what: str = "batch_search") -> None:
    """ids [q, k'] / distances: valid ids, -1 padding only at the end, no repeats, sorted distances."""
    ids, dist = np.asarray(ids), np.asarray(dist)
    if ids.shape != dist.shape or ids.ndim != 2 or ids.shape[1] != min(k, n):
        fail(f"{what} returned ids {ids.shape} and distances {dist.shape}; expected both [n_queries, {min(k, n)}]")
    if not np.issubdtype(ids.dtype, np.integer):
        fail(f"{what} returned ids of dtype {ids.dtype}; expected integers")
    for i, (row, drow) in enumerate(zip(ids, dist)):
        found = row[row >= 0]
        if np.any(row < -1) or np.any(row >= n):
            fail(f"{what}: query {i} returned invalid id(s) {sorted(set(row[(row < -1) | (row >= n)].tolist()))}; ids run from 0 to {n - 1}")
        if len(found) and np.any(row[: len(found)] < 0):
            fail(f"{what}: query {i} has the padding id -1 before real results: {row.tolist()}")
        values, counts = np.unique(found, return_counts=True)
        if np.any(counts > 1):
            fail(f"{what}: query {i} returned id {int(values[counts > 1][0])} {int(counts.max())} times (duplicate ids): "
                 f"is the graph search missing its visited set?")
        real = drow[: len(found)]
        if np.any(np.isnan(real)) or np.any(np.diff(real) < -1e-6 * max(1.0, float(np.abs(real).max(initial=0)))):
            fail(f"{what}: query {i}'s distances are not sorted nearest first: {real.tolist()}")


def check_distances_are_true(queries, base, ids, dist, metric: str, what: str = "batch_search") -> None:
    """Reported distances must be the contract's distances of the returned ids."""
    true = annbench.returned_true_distances(queries, base, np.asarray(ids), metric)
    valid = np.asarray(ids) >= 0
    scale = max(1.0, float(np.abs(true[valid]).max(initial=0)))
    err = np.abs(np.asarray(dist, np.float64)[valid] - true[valid])
    if err.size and err.max() > 1e-4 * scale:
        hint = " (for cosine, normalise the vectors: 1 - cos, not 1 - dot)" if metric == "cosine" else ""
        fail(f"{what} ({metric}) reported distances that differ from the true {metric} distances of the returned ids "
             f"by up to {err.max():.3g}{hint}")


# ---------------------------------------------------------------------------- the common tests


@pytest.mark.parametrize("metric", METRICS)
def test_results_are_well_formed(impl, metric):
    base, queries = dataset()
    index = built(impl, metric)
    ids, dist = impl.batch_search(index, queries, K)
    check_well_formed(ids, dist, N, K)
    check_distances_are_true(queries, base, ids, dist, metric)


@pytest.mark.parametrize("metric", METRICS)
def test_recall_at_default_parameters(impl, metric, record_metric):
    base, queries = dataset()
    ids, _ = impl.batch_search(built(impl, metric), queries, K)
    recall = annbench.recall_at_k(queries, base, np.asarray(ids), truth(metric)[1], metric, K)
    record_metric(f"recall@10_{metric}", recall, "", "higher")
    floor = ALGORITHMS[impl.skill.name]["recall_floor"]
    if recall < floor:
        fail(f"recall@10 ({metric}) at default parameters is {recall:.3f}, below the documented floor {floor} "
             f"for {impl.skill.name} (contract.ALGORITHMS)")


def test_search_agrees_with_batch_search(impl):
    base, queries = dataset()
    index = built(impl, "l2")
    ids, dist = impl.batch_search(index, queries[:10], K)
    for i, q in enumerate(queries[:10]):
        one_ids, one_dist = impl.search(index, q, K)
        one_ids, one_dist = np.asarray(one_ids), np.asarray(one_dist)
        if one_ids.ndim != 1 or len(one_ids) > K or one_dist.shape != one_ids.shape:
            fail(f"search returned ids of shape {one_ids.shape} and distances of shape {one_dist.shape}; "
                 f"expected two 1-D arrays of at most {K}")
        check_well_formed(one_ids[None, :], one_dist[None, :], N, len(one_ids), f"search (query {i})")
        if not np.array_equal(one_ids, ids[i][: len(one_ids)]):
            fail(f"search and batch_search disagree on query {i}: {one_ids.tolist()} vs {ids[i].tolist()}")


def test_add_extends_the_index(impl):
    base, queries = dataset()
    half = N // 2
    index = impl.build(base[:half], "l2")
    impl.add(index, base[half:])
    ids, dist = impl.batch_search(index, queries, K)
    check_well_formed(ids, dist, N, K, "batch_search after add")
    check_distances_are_true(queries, base, ids, dist, "l2", "batch_search after add")
    if not np.any(ids >= half):
        fail(f"after add, no query found any of the added vectors (ids {half}..{N - 1})")
    recall = annbench.recall_at_k(queries, base, ids, truth("l2")[1], "l2", K)
    floor = ALGORITHMS[impl.skill.name]["recall_floor"] - 0.05
    if recall < floor:
        fail(f"recall@10 after build(first half) + add(second half) is {recall:.3f}, below {floor:.2f}")


def test_recall_on_real_text_embeddings(impl, minilm_corpus, record_metric):
    """MiniLM embeddings of real text (queries and code of an installed package)."""
    base = np.concatenate([minilm_corpus["documents"], minilm_corpus["queries"]])
    queries = minilm_corpus["queries"]
    index = built(impl, "cosine", base, key="minilm")
    ids, dist = impl.batch_search(index, queries, K)
    check_well_formed(ids, dist, len(base), K)
    _, true_dist = annbench.exact_neighbours(queries, base, "cosine", K)
    recall = annbench.recall_at_k(queries, base, np.asarray(ids), true_dist, "cosine", K)
    record_metric("recall@10_minilm", recall, "", "higher")
    floor = ALGORITHMS[impl.skill.name]["text_recall_floor"]
    if recall < floor:
        fail(f"recall@10 on MiniLM embeddings of real text is {recall:.3f}, below {floor:.2f}")


def test_bad_input_is_a_clear_error(impl, rng):
    x = rng.standard_normal((40, 8)).astype(np.float32)
    assert_raises_clearly(ValueError, impl.build, np.zeros((0, 8), np.float32), "l2", what="an empty corpus", match_any=("empty",))
    assert_raises_clearly(ValueError, impl.build, x, "manhattan", what="an unknown metric", match_any=("metric",))
    nan = x.copy()
    nan[3, 2] = np.nan
    assert_raises_clearly(ValueError, impl.build, nan, "l2", what="a corpus with NaN", match_any=("nan",))
    index = impl.build(x, "l2")
    assert_raises_clearly(ValueError, impl.search, index, np.zeros(5, np.float32), 3, what="a query of the wrong dimension", match_any=("dimension",))
    assert_raises_clearly(ValueError, impl.search, index, x[0], 0, what="k = 0", match_any=("k",))
    assert_raises_clearly(ValueError, impl.add, index, np.zeros((2, 5), np.float32), what="adding vectors of the wrong dimension", match_any=("dimension",))
    assert_raises_clearly(ValueError, impl.set_search_params, index, no_such_knob=3, what="an unknown search parameter", match_any=("no_such_knob", "unknown"))


def test_memory_bytes_is_plausible(impl, record_metric):
    index = built(impl, "l2")
    size = int(impl.memory_bytes(index))
    raw = N * DIM * 4
    record_metric("memory_bytes", size, "B", "lower")
    if not 0.5 * raw <= size <= 50 * raw:
        fail(f"memory_bytes says {size} bytes for {N} vectors of {DIM} float32 ({raw} bytes of data): implausible")


def test_k_larger_than_the_corpus(impl, rng):
    x = rng.standard_normal((5, 8)).astype(np.float32)
    index = impl.build(x, "l2")
    ids, dist = impl.batch_search(index, x[:2], 10)
    check_well_formed(ids, dist, 5, 10, "batch_search with k > n")
    one, _ = impl.search(index, x[0], 10)
    if len(one) > 5 or len(set(np.asarray(one).tolist())) != len(one):
        fail(f"search with k=10 on 5 vectors returned {np.asarray(one).tolist()}")
    if np.asarray(one)[0] != 0:
        fail(f"searching for indexed vector 0 itself did not return id 0 first: {np.asarray(one).tolist()}")
