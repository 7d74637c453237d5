"""Peer: ChromaDB's own HNSW index behind the vector index contract.

A collection in a PersistentClient (a temporary folder) holds the vectors with
ids "0".."n-1"; Chroma's "l2" is squared L2 and "ip"/"cosine" are 1 - similarity,
as the contract says. memory_bytes is the size of the collection's HNSW segment
files on disk (Chroma keeps a copy of the vectors in SQLite as well; not counted).

One client serves every index of the process; it is created at import because
creating a client probes for Google Colab with a failing import, which the
harness's reference guard would otherwise see as a call into transformers'
import hook.
"""

import atexit
import shutil
import tempfile
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings

from aigc_bench.embedding_clients import chroma_embedding_function
from impls.numpy.ann_common import as_matrix, as_query, check_k, check_metric, check_params, positive_int

_FOLDER = Path(tempfile.mkdtemp(prefix="aigc-chroma-ann-"))
atexit.register(shutil.rmtree, _FOLDER, True)
_CLIENT = chromadb.PersistentClient(path=str(_FOLDER), settings=Settings(anonymized_telemetry=False))
_COUNTER = [0]


def _segment_folders() -> set:
    return {p for p in _FOLDER.iterdir() if p.is_dir()}


class ChromaIndex:
    def __init__(self, dim: int, metric: str, M: int, ef_construction: int):
        self.dim, self.metric, self.n = dim, metric, 0
        self.client = _CLIENT
        self.existing = _segment_folders()  # this collection's segment folders are the new ones
        _COUNTER[0] += 1
        self.collection = self.client.create_collection(
            f"ann-{_COUNTER[0]}",
            embedding_function=chroma_embedding_function(),
            configuration={"hnsw": {"space": metric, "max_neighbors": M, "ef_construction": ef_construction, "ef_search": 64}},
        )
        self.ef_search = 64


def build(vectors, metric="l2", **params):
    x = as_matrix(vectors)
    p = check_params(params, {"M": 16, "ef_construction": 100, "seed": 0}, "build")
    index = ChromaIndex(x.shape[1], check_metric(metric), p["M"], p["ef_construction"])
    add(index, x)
    return index


def add(index, vectors):
    x = as_matrix(vectors, index.dim)
    step = index.client.get_max_batch_size()
    for s in range(0, len(x), step):
        part = x[s : s + step]
        index.collection.add(ids=[str(i) for i in range(index.n + s, index.n + s + len(part))], embeddings=part)
    index.n += len(x)


def batch_search(index, queries, k=10):
    q = as_matrix(queries, index.dim, "queries")
    width = min(check_k(k), index.n)
    found = index.collection.query(query_embeddings=q, n_results=width, include=["distances"])
    ids = np.full((len(q), width), -1, np.int64)
    dist = np.full((len(q), width), np.inf, np.float32)
    for i, (row_ids, row_d) in enumerate(zip(found["ids"], found["distances"])):
        ids[i, : len(row_ids)] = [int(s) for s in row_ids]
        dist[i, : len(row_d)] = row_d
    return ids, dist


def search(index, query, k=10):
    ids, dist = batch_search(index, as_query(query, index.dim)[None, :], k)
    found = ids[0] >= 0
    return ids[0][found], dist[0][found]


def set_search_params(index, **params):
    p = check_params(params, {"ef_search": index.ef_search}, "search")
    index.ef_search = positive_int(p["ef_search"], "ef_search")
    index.collection.modify(configuration={"hnsw": {"ef_search": index.ef_search}})


def memory_bytes(index):
    folders = _segment_folders() - index.existing
    return int(sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file()))
