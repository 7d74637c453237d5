"""Peer: faiss IndexFlatL2 / IndexFlatIP (exact search) behind the contract."""

import faiss
import numpy as np

from impls.numpy.ann_common import as_matrix, as_query, check_k, check_metric, check_params, prepare


class FaissIndex:
    """A faiss index with the contract's metric conventions (distances as the contract says)."""

    def __init__(self, index, dim: int, metric: str):
        self.index, self.dim, self.metric = index, dim, metric


def faiss_metric(metric: str):
    return faiss.METRIC_L2 if check_metric(metric) == "l2" else faiss.METRIC_INNER_PRODUCT


def to_contract(index: FaissIndex, ids: np.ndarray, scores: np.ndarray, k: int):
    """faiss returns squared L2 or inner products, padded with -1: convert to contract distances."""
    width = min(k, index.index.ntotal)
    ids, scores = ids[:, :width].astype(np.int64), scores[:, :width].astype(np.float32)
    dist = scores if index.metric == "l2" else 1.0 - scores
    dist[ids < 0] = np.inf
    return ids, dist


def faiss_batch_search(index: FaissIndex, queries, k=10):
    q = prepare(as_matrix(queries, index.dim, "queries"), index.metric)
    k = check_k(k)
    scores, ids = index.index.search(q, min(k, index.index.ntotal))
    return to_contract(index, ids, scores, k)


def faiss_search(index: FaissIndex, query, k=10):
    ids, dist = faiss_batch_search(index, as_query(query, index.dim)[None, :], k)
    found = ids[0] >= 0
    return ids[0][found], dist[0][found]


def faiss_add(index: FaissIndex, vectors):
    index.index.add(prepare(as_matrix(vectors, index.dim), index.metric))


def build(vectors, metric="l2", **params):
    check_params(params, {}, "build")
    x = as_matrix(vectors)
    index = FaissIndex(faiss.IndexFlat(x.shape[1], faiss_metric(metric)), x.shape[1], metric)
    faiss_add(index, x)
    return index


add, search, batch_search = faiss_add, faiss_search, faiss_batch_search


def set_search_params(index, **params):
    check_params(params, {}, "search")


def memory_bytes(index):
    return int(index.index.ntotal * index.dim * 4)
