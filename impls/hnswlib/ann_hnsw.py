"""Peer: hnswlib behind the contract (its 'l2' is squared, 'ip' and 'cosine' are 1 - similarity: the contract's)."""

import hnswlib
import numpy as np

from impls.numpy.ann_common import as_matrix, as_query, check_k, check_metric, check_params, positive_int


class HnswlibIndex:
    def __init__(self, dim: int, metric: str, M: int, ef_construction: int, seed: int):
        self.dim, self.metric = dim, metric
        self.index = hnswlib.Index(space=metric, dim=dim)
        self.params = (M, ef_construction, seed)
        self.initialised = False


def build(vectors, metric="l2", **params):
    x = as_matrix(vectors)
    p = check_params(params, {"M": 16, "ef_construction": 100, "seed": 0}, "build")
    index = HnswlibIndex(x.shape[1], check_metric(metric), p["M"], p["ef_construction"], p["seed"])
    add(index, x)
    index.index.set_ef(64)
    return index


def add(index, vectors):
    x = as_matrix(vectors, index.dim)
    h = index.index
    if not index.initialised:
        M, efc, seed = index.params
        h.init_index(max_elements=len(x), ef_construction=efc, M=M, random_seed=seed)
        index.initialised = True
    else:
        h.resize_index(h.get_current_count() + len(x))
    n = h.get_current_count()
    h.add_items(x, np.arange(n, n + len(x)), num_threads=1)


def batch_search(index, queries, k=10):
    q = as_matrix(queries, index.dim, "queries")
    k = min(check_k(k), index.index.get_current_count())
    ids, dist = index.index.knn_query(q, k=k, num_threads=1)
    return ids.astype(np.int64), dist.astype(np.float32)


def search(index, query, k=10):
    ids, dist = batch_search(index, as_query(query, index.dim)[None, :], k)
    return ids[0], dist[0]


def set_search_params(index, **params):
    p = check_params(params, {"ef_search": index.index.ef}, "search")
    index.index.set_ef(positive_int(p["ef_search"], "ef_search"))


def memory_bytes(index):
    h = index.index
    M = h.M
    # hnswlib's own layout: per element, the vector, 2M layer-0 links + count, label; upper layers ~1/M of it
    per_element = index.dim * 4 + (2 * M + 1) * 4 + 8
    return int(h.get_current_count() * per_element * (1 + 1 / M))
