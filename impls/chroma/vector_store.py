"""ChromaDB behind the vector_store contract: a PersistentClient on disk, or an
HttpClient talking to a `chroma run` server. Telemetry is off and our embedding
function is always passed (Chroma's default would download a model)."""

from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings

from aigc_bench.embedding_clients import chroma_embedding_function

DISTANCES = ("l2", "ip", "cosine")


def _settings() -> Settings:
    """A fresh Settings per client: chromadb's client constructors write into the object
    they are given (an HttpClient's sets chroma_api_impl to HTTP), so a shared one would
    turn the next PersistentClient into a client of the server."""
    return Settings(anonymized_telemetry=False)


def _function(embedding_function):
    """Chroma wants an EmbeddingFunction object; wrap a plain callable (or none: MiniLM)."""
    class Wrapped:
        def embed(self, texts):
            return np.asarray(embedding_function(texts), dtype=np.float32)

    return chroma_embedding_function(Wrapped() if embedding_function is not None else None)


def open_store(path):
    return chromadb.PersistentClient(path=str(path), settings=_settings())


def connect(url):
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"connect() takes a URL like http://127.0.0.1:8000, got {url!r}")
    return chromadb.HttpClient(host=parts.hostname, port=parts.port or 8000, ssl=parts.scheme == "https", settings=_settings())


def create_collection(store, name, distance="cosine", embedding_function=None):
    if distance not in DISTANCES:
        raise ValueError(f"unknown distance {distance!r}: use one of {', '.join(DISTANCES)}")
    if name in list_collections(store):
        raise ValueError(f"collection {name!r} already exists")
    return store.create_collection(name, embedding_function=_function(embedding_function), configuration={"hnsw": {"space": distance}})


def get_collection(store, name, embedding_function=None):
    if name not in list_collections(store):
        raise KeyError(f"collection {name!r} does not exist")
    return store.get_collection(name, embedding_function=_function(embedding_function))


def list_collections(store):
    return [c.name for c in store.list_collections()]


def delete_collection(store, name):
    if name not in list_collections(store):
        raise KeyError(f"collection {name!r} does not exist")
    store.delete_collection(name)


def _lengths(ids, **fields):
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError("ids must be a list of str")
    for field, values in fields.items():
        if values is not None and len(values) != len(ids):
            raise ValueError(f"{len(ids)} ids but {len(values)} {field}")


def _dimension_check(collection, embeddings):
    if embeddings is None:
        return None
    x = np.asarray(embeddings, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"embeddings must be [n, d], got shape {x.shape}")
    sample = collection.peek(1)
    held = sample.get("embeddings")
    if held is not None and len(held) and len(held[0]) != x.shape[1]:
        raise ValueError(f"embeddings have dimension {x.shape[1]} but collection {collection.name!r} holds dimension {len(held[0])}")
    return x


def add(collection, ids, embeddings=None, documents=None, metadatas=None):
    _lengths(ids, embeddings=embeddings, documents=documents, metadatas=metadatas)
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate ids in one add")
    existing = collection.get(ids=list(ids), include=[])["ids"]
    if existing:
        raise ValueError(f"ids already in the collection: {sorted(existing)[:5]}")
    x = _dimension_check(collection, embeddings)
    collection.add(ids=list(ids), embeddings=x, documents=documents, metadatas=metadatas)


def query(collection, query_embeddings, k=10, where=None, where_document=None):
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    q = _dimension_check(collection, query_embeddings)
    n = collection.count()
    if n == 0:
        return {key: [[] for _ in q] for key in ("ids", "distances", "documents", "metadatas")}
    found = collection.query(query_embeddings=q, n_results=min(int(k), n), where=where, where_document=where_document,
                             include=["distances", "documents", "metadatas"])
    return {key: [list(row) for row in found[key]] for key in ("ids", "distances", "documents", "metadatas")}


def get(collection, ids=None, where=None, where_document=None):
    found = collection.get(ids=ids, where=where, where_document=where_document, include=["embeddings", "documents", "metadatas"])
    embeddings = found["embeddings"]
    embeddings = np.asarray(embeddings, dtype=np.float32) if embeddings is not None and len(embeddings) else np.zeros((0, 0), np.float32)
    return {"ids": list(found["ids"]), "embeddings": embeddings, "documents": list(found["documents"]), "metadatas": list(found["metadatas"])}


def update(collection, ids, embeddings=None, documents=None, metadatas=None):
    _lengths(ids, embeddings=embeddings, documents=documents, metadatas=metadatas)
    present = set(collection.get(ids=list(ids), include=[])["ids"])
    missing = [i for i in ids if i not in present]
    if missing:
        raise ValueError(f"cannot update ids that do not exist: {missing[:5]}")
    collection.update(ids=list(ids), embeddings=_dimension_check(collection, embeddings), documents=documents, metadatas=metadatas)


def delete(collection, ids=None, where=None, where_document=None):
    collection.delete(ids=ids, where=where, where_document=where_document)


def count(collection):
    return collection.count()
