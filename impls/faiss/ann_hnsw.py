"""Peer: faiss IndexHNSWFlat behind the contract."""

import faiss

from impls.numpy.ann_common import as_matrix, check_params, positive_int

from .ann_bruteforce import FaissIndex, faiss_add, faiss_batch_search, faiss_metric, faiss_search


def build(vectors, metric="l2", **params):
    x = as_matrix(vectors)
    p = check_params(params, {"M": 16, "ef_construction": 100, "seed": 0}, "build")
    hnsw = faiss.IndexHNSWFlat(x.shape[1], p["M"], faiss_metric(metric))
    hnsw.hnsw.efConstruction = p["ef_construction"]
    hnsw.hnsw.efSearch = 64
    index = FaissIndex(hnsw, x.shape[1], metric)
    faiss_add(index, x)
    return index


add, search, batch_search = faiss_add, faiss_search, faiss_batch_search


def set_search_params(index, **params):
    p = check_params(params, {"ef_search": index.index.hnsw.efSearch}, "search")
    index.index.hnsw.efSearch = positive_int(p["ef_search"], "ef_search")


def memory_bytes(index):
    hnsw = index.index.hnsw
    return int(index.index.ntotal * index.dim * 4 + hnsw.neighbors.size() * 4 + hnsw.offsets.size() * 8 + hnsw.levels.size() * 4)
