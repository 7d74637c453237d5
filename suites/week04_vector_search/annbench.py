"""Data, ground truth and measurements for vector indexes, as ann-benchmarks defines them.

- `clustered(n, d, n_queries, seed)`: a seeded synthetic set with cluster
  structure (Gaussian blobs of different spreads), queries drawn the same way;
- `exact_neighbours`: the float64 ground truth (ids and contract distances);
- `recall_at_k`: ann-benchmarks' recall with its distance epsilon: a returned
  id counts when its true (float64) distance is at most the true k-th
  distance + EPSILON, so ties at the k-th distance are not punished;
- `measure`: build time, index memory, single-query and batched QPS and
  recall@10 of one parameter setting; `pareto_frontier` of (recall, QPS) points.

Used by the suite's tests and benchmarks and by `aigc-bench ann-bench`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

EPSILON = 1e-3  # ann-benchmarks' default distance epsilon for recall


def clustered(n: int, d: int, n_queries: int = 100, seed: int = 0, n_clusters: int | None = None):
    """(base float32 [n, d], queries float32 [n_queries, d]): points around
    n_clusters random centres (default n // 100, at least 8) with per-cluster spread."""
    rng = np.random.default_rng(seed)
    n_clusters = n_clusters or max(8, n // 100)
    centres = rng.standard_normal((n_clusters, d))  # [c, d]
    spread = rng.uniform(0.3, 0.8, n_clusters)  # [c]

    def draw(m):
        c = rng.integers(0, n_clusters, m)
        return (centres[c] + rng.standard_normal((m, d)) * spread[c, None]).astype(np.float32)

    return draw(n), draw(n_queries)


def true_distances(queries, base, metric: str) -> np.ndarray:
    """[q, n] contract distances in float64 (see the contract: l2 squared, ip/cosine 1 - similarity)."""
    q = np.asarray(queries, np.float64)
    x = np.asarray(base, np.float64)
    if metric == "cosine":
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
    if metric == "l2":
        return ((q[:, None, :] - x[None, :, :]) ** 2).sum(-1) if q.shape[0] * x.shape[0] * x.shape[1] < 2e7 else np.maximum(
            (q * q).sum(1)[:, None] - 2 * q @ x.T + (x * x).sum(1)[None, :], 0.0
        )
    return 1.0 - q @ x.T


def exact_neighbours(queries, base, metric: str, k: int = 10, block: int = 256):
    """Float64 ground truth: (ids int64 [q, k], distances float64 [q, k]), ties broken by id."""
    ids, dist = [], []
    for s in range(0, len(queries), block):
        d = true_distances(queries[s : s + block], base, metric)
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        ids.append(order)
        dist.append(np.take_along_axis(d, order, 1))
    return np.concatenate(ids), np.concatenate(dist)


def returned_true_distances(queries, base, ids, metric: str) -> np.ndarray:
    """The float64 distance of each returned id (inf for the padding id -1)."""
    out = np.full(ids.shape, np.inf)
    for i, row in enumerate(ids):
        valid = row >= 0
        out[i, valid] = true_distances(queries[i : i + 1], base[row[valid]], metric)[0]
    return out


def recall_at_k(queries, base, ids, truth_dist, metric: str, k: int = 10, epsilon: float = EPSILON) -> float:
    """ann-benchmarks' recall@k: the fraction of the k returned ids whose true distance
    is within `epsilon` of the true k-th nearest distance."""
    got = returned_true_distances(queries, base, ids[:, :k], metric)
    threshold = truth_dist[:, k - 1 : k] + epsilon
    return float(np.mean(np.sum(got <= threshold, axis=1) / k))


# ---------------------------------------------------------------------------- measurements


@dataclass
class Point:
    algorithm: str
    params: dict
    recall: float
    qps_single: float
    qps_batch: float
    build_seconds: float
    memory_bytes: int
    n: int
    dim: int
    metric: str

    def as_dict(self):
        return asdict(self)


def _qps(fn, n_queries: int, min_seconds: float) -> float:
    """Queries per second of fn() answering n_queries, repeated for at least min_seconds."""
    fn()  # warm up (JIT, caches)
    start, rounds = time.perf_counter(), 0
    while True:
        fn()
        rounds += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return rounds * n_queries / elapsed


def measure_setting(name: str, module, index, base, queries, truth_dist, metric, params: dict, build_seconds: float, k: int = 10, min_seconds: float = 0.3) -> Point:
    """One (recall, QPS) point of a built index at search parameters `params`."""
    if params:
        module.set_search_params(index, **params)
    ids, _ = module.batch_search(index, queries, k)
    recall = recall_at_k(queries, base, ids, truth_dist, metric, k)

    def single():
        for q in queries:
            module.search(index, q, k)

    qps_single = _qps(single, len(queries), min_seconds)
    qps_batch = _qps(lambda: module.batch_search(index, queries, k), len(queries), min_seconds)
    return Point(name, dict(params), recall, qps_single, qps_batch, build_seconds, int(module.memory_bytes(index)), len(base), base.shape[1], metric)


def timed_build(module, base, metric, build_params: dict):
    start = time.perf_counter()
    index = module.build(base, metric, **build_params)
    return index, time.perf_counter() - start


def pareto_frontier(points: list[Point], qps: str = "qps_single") -> list[Point]:
    """The points no other point beats on both recall and QPS, by increasing recall."""
    best, frontier = -1.0, []
    for p in sorted(points, key=lambda p: (-p.recall, -getattr(p, qps))):
        if getattr(p, qps) > best:
            frontier.append(p)
            best = getattr(p, qps)
    return sorted(frontier, key=lambda p: p.recall)


def qps_at_recall(points: list[Point], target: float, qps: str = "qps_single") -> float | None:
    """The best QPS among points reaching `target` recall (None when none does)."""
    reaching = [getattr(p, qps) for p in points if p.recall >= target]
    return max(reaching) if reaching else None
