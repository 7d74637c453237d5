"""Exact nearest neighbours: a blocked matrix product with a partial top-k.

The corpus is scanned in blocks of BLOCK_ROWS vectors so that the [q, block]
distance matrix stays in cache; each block's top-k (argpartition, O(block))
is merged into the running top-k. For L2, ||q - x||^2 = ||q||^2 - 2 q.x + ||x||^2
with the ||x||^2 precomputed, so the product q @ X^T (BLAS) does the work.
"""

from __future__ import annotations

import numpy as np

from .ann_common import as_matrix, as_query, check_k, check_metric, check_params, distances, prepare, top_k

BLOCK_ROWS = 16384  # vectors per block: 16384 x 384 floats = 24 MiB, a [64, 16384] distance block = 4 MiB
QUERY_BLOCK = 256


class BruteForceIndex:
    def __init__(self, dim: int, metric: str):
        self.dim, self.metric = dim, metric
        self.vectors = np.empty((0, dim), np.float32)  # [n, d] as compared (unit rows for cosine)
        self.sq_norms = np.empty(0, np.float32)  # [n] ||x||^2 for L2
        self.dist_comps = 0


def build(vectors, metric="l2", **params):
    check_params(params, {}, "build")
    x = as_matrix(vectors)
    index = BruteForceIndex(x.shape[1], check_metric(metric))
    add(index, x)
    return index


def add(index, vectors):
    x = prepare(as_matrix(vectors, index.dim), index.metric)
    index.vectors = np.concatenate([index.vectors, x])
    index.sq_norms = np.einsum("ij,ij->i", index.vectors, index.vectors)


def _search_block(index, q: np.ndarray, k: int):
    """q: prepared queries [b, d] -> (ids [b, k'], dist [b, k'])."""
    n = len(index.vectors)
    best_ids = best_d = None
    for start in range(0, n, BLOCK_ROWS):
        block = slice(start, min(start + BLOCK_ROWS, n))
        d = distances(q, index.vectors[block], index.metric, index.sq_norms[block])  # [b, rows]
        ids, dist = top_k(d, k, np.arange(block.start, block.stop))
        if best_ids is None:
            best_ids, best_d = ids, dist
        else:  # merge the running top-k with this block's
            all_ids, all_d = np.concatenate([best_ids, ids], 1), np.concatenate([best_d, dist], 1)
            cols, best_d = top_k(all_d, k)
            best_ids = np.take_along_axis(all_ids, cols, 1)
    index.dist_comps += len(q) * n
    return best_ids, best_d


def search(index, query, k=10):
    q = prepare(as_query(query, index.dim)[None, :], index.metric)
    ids, dist = _search_block(index, q, check_k(k))
    return ids[0], dist[0]


def batch_search(index, queries, k=10):
    q = prepare(as_matrix(queries, index.dim, "queries"), index.metric)
    k = check_k(k)
    parts = [_search_block(index, q[s : s + QUERY_BLOCK], k) for s in range(0, len(q), QUERY_BLOCK)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def set_search_params(index, **params):
    check_params(params, {}, "search")  # exact search has no knob


def memory_bytes(index):
    return int(index.vectors.nbytes + index.sq_norms.nbytes)


def distance_computations(index):
    return index.dist_comps
