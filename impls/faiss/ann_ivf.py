"""Peer: faiss IndexIVFFlat (k-means coarse quantizer, nlist lists, nprobe probed)."""

import math

import faiss

from impls.numpy.ann_common import as_matrix, check_params, positive_int, prepare

from .ann_bruteforce import FaissIndex, faiss_add, faiss_batch_search, faiss_metric, faiss_search


def build(vectors, metric="l2", **params):
    x = as_matrix(vectors)
    p = check_params(params, {"nlist": None, "n_iter": 20, "seed": 0}, "build")
    nlist = p["nlist"] or max(1, round(math.sqrt(len(x))))
    if not 1 <= nlist <= len(x):
        raise ValueError(f"nlist must be between 1 and the number of vectors ({len(x)}), got {nlist}")
    quantizer = faiss.IndexFlat(x.shape[1], faiss_metric(metric))
    ivf = faiss.IndexIVFFlat(quantizer, x.shape[1], nlist, faiss_metric(metric))
    ivf.cp.niter, ivf.cp.seed = p["n_iter"], p["seed"]
    ivf.cp.min_points_per_centroid = 1  # small test corpora: no warning
    ivf.train(prepare(x, metric))
    ivf.nprobe = max(1, nlist // 8)
    index = FaissIndex(ivf, x.shape[1], metric)
    index.quantizer = quantizer  # keep it alive: faiss does not own it
    faiss_add(index, x)
    return index


add, search, batch_search = faiss_add, faiss_search, faiss_batch_search


def set_search_params(index, **params):
    p = check_params(params, {"nprobe": index.index.nprobe}, "search")
    index.index.nprobe = min(positive_int(p["nprobe"], "nprobe"), index.index.nlist)


def memory_bytes(index):
    ivf = index.index
    return int(ivf.ntotal * (index.dim * 4 + 8) + ivf.nlist * index.dim * 4)  # codes + ids + centroids


def distance_computations(index):
    return int(faiss.cvar.indexIVF_stats.ndis)
