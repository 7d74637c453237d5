"""What every vector index shares: input checks, metric preparation, exact
distances of candidates, and the top-k of a block (see the ann_* contracts in
suites/week04_vector_search/contract.py).

Distances follow the contract: "l2" squared Euclidean, "ip" 1 - <q, x>,
"cosine" 1 - cos(q, x). Cosine is inner product on unit vectors, so indexes
normalise once at build/add time and every query at search time.
"""

from __future__ import annotations

import numpy as np

METRICS = ("l2", "ip", "cosine")


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}")
    return metric


def check_params(given: dict, allowed: dict, what: str) -> dict:
    unknown = set(given) - set(allowed)
    if unknown:
        raise ValueError(f"unknown {what} parameter(s) {', '.join(sorted(unknown))}: this index takes {', '.join(sorted(allowed)) or 'none'}")
    return {**allowed, **given}


def as_matrix(vectors, dim: int | None = None, what: str = "vectors") -> np.ndarray:
    """float32 C-contiguous [n, d]; ValueError on an empty set, a wrong dimension, NaN/inf."""
    x = np.asarray(vectors)
    if x.dtype.kind not in "fiu":
        raise ValueError(f"{what} must be numeric, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array [n, d], got shape {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{what} is empty (shape {x.shape}): an index needs at least one vector of dimension >= 1")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{what} have dimension {x.shape[1]} but the index holds dimension {dim}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} contain NaN or inf")
    return x


def as_query(query, dim: int) -> np.ndarray:
    q = np.asarray(query)
    if q.ndim != 1:
        raise ValueError(f"query must be a 1-D vector [d], got shape {q.shape} (use batch_search for many)")
    return as_matrix(q[None, :], dim, "query")[0]


def positive_int(value, name: str) -> int:
    """`value` as an int >= 1, or ValueError naming the parameter."""
    try:
        whole = int(value) == value
    except (TypeError, ValueError):
        whole = False
    if not whole or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_k(k) -> int:
    return positive_int(k, "k")


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def prepare(x: np.ndarray, metric: str) -> np.ndarray:
    """The vectors as the index stores and compares them."""
    return np.ascontiguousarray(normalise(x), dtype=np.float32) if metric == "cosine" else x


def distances(queries: np.ndarray, base: np.ndarray, metric: str, base_sq_norms: np.ndarray | None = None) -> np.ndarray:
    """[q, n] contract distances between prepared queries [q, d] and prepared vectors [n, d]."""
    dots = queries @ base.T  # [q, n]
    if metric == "l2":
        sq = base_sq_norms if base_sq_norms is not None else np.einsum("ij,ij->i", base, base)
        d = np.einsum("ij,ij->i", queries, queries)[:, None] - 2.0 * dots + sq[None, :]
        return np.maximum(d, 0.0)  # rounding can make ||q - x||^2 of near-equal vectors negative
    return 1.0 - dots


def top_k(dist: np.ndarray, k: int, ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The k smallest of each row of `dist` [q, m], sorted: (ids int64 [q, k'], dist float32 [q, k'])
    with k' = min(k, m); `ids` maps column -> id (default: the column)."""
    m = dist.shape[1]
    k = min(k, m)
    if k < m:
        part = np.argpartition(dist, k - 1, axis=1)[:, :k]  # [q, k] unordered
    else:
        part = np.broadcast_to(np.arange(m), dist.shape).copy()
    part_d = np.take_along_axis(dist, part, axis=1)
    order = np.argsort(part_d, axis=1, kind="stable")
    cols = np.take_along_axis(part, order, axis=1)
    out_ids = cols if ids is None else ids[cols]
    return out_ids.astype(np.int64), np.take_along_axis(part_d, order, axis=1).astype(np.float32)


def pad(ids: np.ndarray, dist: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """One query's results padded to `width` with id -1 and distance inf."""
    out_ids = np.full(width, -1, np.int64)
    out_d = np.full(width, np.inf, np.float32)
    out_ids[: len(ids)], out_d[: len(ids)] = ids[:width], dist[:width]
    return out_ids, out_d


def batch_by_search(search, index, queries, k: int, n_total: int, dim: int):
    """batch_search from a single-query search: stack the rows, pad the short ones."""
    q = as_matrix(queries, dim, "queries")
    width = min(check_k(k), n_total)
    ids = np.empty((len(q), width), np.int64)
    dist = np.empty((len(q), width), np.float32)
    for i, row in enumerate(q):
        ids[i], dist[i] = pad(*search(index, row, k), width)
    return ids, dist
