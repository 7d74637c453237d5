"""Locality-sensitive hashing with random hyperplanes (SimHash), several tables.

Each of `n_tables` tables draws `n_bits` random hyperplanes through the data's
mean; a vector's key in a table is the n_bits signs of its projections (which
side of each hyperplane it lies on). Two vectors at angle theta get the same
bit with probability 1 - theta/pi, so near vectors tend to share a bucket.
A query scans the union of its buckets exactly. More bits: smaller buckets,
faster, lower recall; more tables: higher recall, more work.
"""

from __future__ import annotations

import math

import numpy as np

from .ann_common import (
    as_matrix, as_query, batch_by_search, check_k, check_metric, check_params, distances, prepare, top_k,
)


class LSHIndex:
    def __init__(self, dim: int, metric: str, n_tables: int, n_bits: int, seed: int, center: np.ndarray):
        self.dim, self.metric = dim, metric
        self.n_tables, self.n_bits = n_tables, n_bits
        self.tables_searched = n_tables
        rng = np.random.default_rng(seed)
        self.planes = rng.standard_normal((n_tables, n_bits, dim)).astype(np.float32)  # [T, b, d]
        self.center = center  # [d] hyperplanes pass through the data's mean
        self.weights = (1 << np.arange(n_bits, dtype=np.int64))  # [b] bit -> value in the key
        self.vectors = np.empty((0, dim), np.float32)
        self.keys = np.empty((n_tables, 0), np.int64)  # [T, n]
        self.buckets: list[dict[int, np.ndarray]] = [{} for _ in range(n_tables)]
        self.dist_comps = 0


def hash_keys(index, x: np.ndarray) -> np.ndarray:
    """x: prepared [m, d] -> bucket keys [T, m]: bit j of table t is sign(<plane_tj, x - center>)."""
    bits = np.einsum("tbd,md->tmb", index.planes, x - index.center) > 0  # [T, m, b]
    return bits.astype(np.int64) @ index.weights  # [T, m]


def default_bits(n: int) -> int:
    """About log2(n / 16) bits: buckets of ~16 vectors (at least 1 bit, at most 24)."""
    return int(min(24, max(1, round(math.log2(max(n, 2) / 16)))))


def build(vectors, metric="l2", **params):
    x = as_matrix(vectors)
    check_metric(metric)
    p = check_params(params, {"n_tables": 16, "n_bits": None, "seed": 0}, "build")
    n_bits = p["n_bits"] or default_bits(len(x))
    if not (1 <= p["n_tables"] and 1 <= n_bits <= 62):
        raise ValueError(f"n_tables must be >= 1 and n_bits in 1..62, got {p['n_tables']} and {n_bits}")
    prepared = prepare(x, metric)
    index = LSHIndex(x.shape[1], metric, p["n_tables"], n_bits, p["seed"], prepared.mean(0))
    add(index, x)
    return index


def add(index, vectors):
    x = prepare(as_matrix(vectors, index.dim), index.metric)
    index.vectors = np.concatenate([index.vectors, x])
    index.keys = np.concatenate([index.keys, hash_keys(index, x)], axis=1)
    for t in range(index.n_tables):  # bucket key -> ids, rebuilt by one sort per table
        order = np.argsort(index.keys[t], kind="stable")
        keys, starts = np.unique(index.keys[t][order], return_index=True)
        index.buckets[t] = dict(zip(keys.tolist(), np.split(order, starts[1:])))


def search(index, query, k=10):
    k = check_k(k)
    q = prepare(as_query(query, index.dim)[None, :], index.metric)  # [1, d]
    keys = hash_keys(index, q)[:, 0]  # [T]
    found = [index.buckets[t].get(int(keys[t])) for t in range(index.tables_searched)]
    found = [ids for ids in found if ids is not None]
    if not found:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    candidates = np.unique(np.concatenate(found))
    index.dist_comps += len(candidates)
    d = distances(q, index.vectors[candidates], index.metric)  # [1, c]
    ids, dist = top_k(d, k, candidates)
    return ids[0], dist[0]


def batch_search(index, queries, k=10):
    return batch_by_search(search, index, queries, k, len(index.vectors), index.dim)


def set_search_params(index, **params):
    p = check_params(params, {"n_tables": index.tables_searched}, "search")
    if int(p["n_tables"]) != p["n_tables"] or not 1 <= p["n_tables"] <= index.n_tables:
        raise ValueError(f"n_tables must be between 1 and the {index.n_tables} tables built, got {p['n_tables']!r}")
    index.tables_searched = int(p["n_tables"])


def memory_bytes(index):
    bucket_ids = sum(ids.nbytes for table in index.buckets for ids in table.values())
    return int(index.vectors.nbytes + index.planes.nbytes + index.keys.nbytes + bucket_ids)


def distance_computations(index):
    return index.dist_comps
