"""Inverted file index (IVF-Flat): a k-means coarse quantizer and one list per centroid.

build: k-means (Lloyd) on a sample finds `nlist` centroids; every vector goes to
the list of its nearest centroid. The lists are stored back to back (vectors
sorted by list, `offsets[c]:offsets[c + 1]` is list c), so probing a list is a
contiguous slice and one matrix product.
search: rank the centroids by distance to the query, scan the `nprobe` nearest
lists exactly, keep the top k. nprobe = nlist is exact search; nprobe = 1 is
fastest and misses neighbours that fell in a neighbouring cell.
"""

from __future__ import annotations

import math

import numpy as np

from .ann_common import (
    as_matrix, as_query, check_k, check_metric, check_params, distances, positive_int, prepare,
    top_k,
)

TRAIN_POINTS_PER_LIST = 64  # k-means trains on at most this many vectors per centroid (faiss uses 39-256)


class IVFIndex:
    def __init__(self, dim: int, metric: str, centroids: np.ndarray):
        self.dim, self.metric = dim, metric
        self.centroids = centroids  # [nlist, d]
        self.nlist = len(centroids)
        self.nprobe = max(1, self.nlist // 8)
        self.vectors = np.empty((0, dim), np.float32)  # [n, d] sorted by list
        self.ids = np.empty(0, np.int64)  # [n] original id of each sorted row
        self.lists = np.empty(0, np.int64)  # [n] list of each sorted row
        self.offsets = np.zeros(self.nlist + 1, np.int64)  # list c is rows offsets[c]:offsets[c+1]
        self.sq_norms = np.empty(0, np.float32)
        self.n = 0
        self.dist_comps = 0


def kmeans(x: np.ndarray, k: int, n_iter: int = 20, seed: int = 0) -> np.ndarray:
    """Lloyd's k-means on x [n, d] -> centroids [k, d]; empty clusters are reseeded."""
    rng = np.random.default_rng(seed)
    if len(x) > k * TRAIN_POINTS_PER_LIST:
        x = x[rng.choice(len(x), k * TRAIN_POINTS_PER_LIST, replace=False)]
    centroids = x[rng.choice(len(x), k, replace=False)].copy()  # [k, d]
    for _ in range(n_iter):
        assign = np.argmin(distances(x, centroids, "l2"), axis=1)  # [n]
        counts = np.bincount(assign, minlength=k)  # [k]
        sums = np.zeros_like(centroids)
        np.add.at(sums, assign, x)
        empty = counts == 0
        centroids[~empty] = sums[~empty] / counts[~empty, None]
        centroids[empty] = x[rng.choice(len(x), int(empty.sum()), replace=False)]
    return centroids


def build(vectors, metric="l2", **params):
    x = as_matrix(vectors)
    check_metric(metric)
    p = check_params(params, {"nlist": None, "n_iter": 20, "seed": 0}, "build")
    nlist = p["nlist"] or max(1, round(math.sqrt(len(x))))
    if not 1 <= nlist <= len(x):
        raise ValueError(f"nlist must be between 1 and the number of vectors ({len(x)}), got {nlist}")
    prepared = prepare(x, metric)
    index = IVFIndex(x.shape[1], metric, kmeans(prepared, nlist, p["n_iter"], p["seed"]))
    add(index, x)
    return index


def add(index, vectors):
    x = prepare(as_matrix(vectors, index.dim), index.metric)
    new_lists = np.argmin(distances(x, index.centroids, index.metric), axis=1)
    new_ids = np.arange(index.n, index.n + len(x))
    lists = np.concatenate([index.lists, new_lists])
    order = np.argsort(lists, kind="stable")
    index.vectors = np.concatenate([index.vectors, x])[order]
    index.ids = np.concatenate([index.ids, new_ids])[order]
    index.lists = lists[order]
    index.offsets = np.searchsorted(index.lists, np.arange(index.nlist + 1))
    index.sq_norms = np.einsum("ij,ij->i", index.vectors, index.vectors)
    index.n += len(x)


def _search_prepared(index, q: np.ndarray, centroid_dist: np.ndarray, k: int):
    """q: one prepared query [d]; centroid_dist: its distances to the centroids [nlist]."""
    nprobe = min(index.nprobe, index.nlist)
    probed = np.argpartition(centroid_dist, nprobe - 1)[:nprobe] if nprobe < index.nlist else np.arange(index.nlist)
    rows = [np.arange(index.offsets[c], index.offsets[c + 1]) for c in probed]
    rows = np.concatenate(rows)
    index.dist_comps += len(rows) + index.nlist
    if len(rows) == 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    d = distances(q[None, :], index.vectors[rows], index.metric, index.sq_norms[rows])  # [1, candidates]
    ids, dist = top_k(d, k, index.ids[rows])
    return ids[0], dist[0]


def search(index, query, k=10):
    q = prepare(as_query(query, index.dim)[None, :], index.metric)
    centroid_dist = distances(q, index.centroids, index.metric)[0]
    return _search_prepared(index, q[0], centroid_dist, check_k(k))


def batch_search(index, queries, k=10):
    """Many queries at once, list by list (as faiss does): each probed list is scanned
    for all the queries probing it in one matrix product, then every query merges
    the top k of its nprobe lists."""
    q = prepare(as_matrix(queries, index.dim, "queries"), index.metric)
    k = check_k(k)
    nprobe = min(index.nprobe, index.nlist)
    centroid_dist = distances(q, index.centroids, index.metric)  # [b, nlist]
    probed = top_k(centroid_dist, nprobe)[0]  # [b, nprobe] lists of each query, nearest first
    cand_ids = np.full((len(q), nprobe * k), -1, np.int64)  # slot r*k:(r+1)*k holds the query's r-th list's best
    cand_d = np.full((len(q), nprobe * k), np.inf, np.float32)
    order = np.argsort(probed, axis=None, kind="stable")  # flat (query, rank) positions grouped by list
    flat_lists = probed.ravel()[order]
    bounds = np.searchsorted(flat_lists, np.arange(index.nlist + 1))
    for c in range(index.nlist):
        who = order[bounds[c] : bounds[c + 1]]
        rows = slice(index.offsets[c], index.offsets[c + 1])
        if len(who) == 0 or rows.start == rows.stop:
            continue
        qi, rank = np.divmod(who, nprobe)
        ids, dist = top_k(distances(q[qi], index.vectors[rows], index.metric, index.sq_norms[rows]), k, index.ids[rows])
        cols = rank[:, None] * k + np.arange(ids.shape[1])
        cand_ids[qi[:, None], cols], cand_d[qi[:, None], cols] = ids, dist
        index.dist_comps += len(qi) * (rows.stop - rows.start)
    index.dist_comps += len(q) * index.nlist
    width = min(k, index.n)
    cols, best_d = top_k(cand_d, width)
    return np.take_along_axis(cand_ids, cols, 1), best_d


def set_search_params(index, **params):
    p = check_params(params, {"nprobe": index.nprobe}, "search")
    index.nprobe = min(positive_int(p["nprobe"], "nprobe"), index.nlist)


def memory_bytes(index):
    return int(sum(a.nbytes for a in (index.centroids, index.vectors, index.ids, index.lists, index.offsets, index.sq_norms)))


def distance_computations(index):
    return index.dist_comps
