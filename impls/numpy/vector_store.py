"""A small persistent vector store in NumPy (the week 3 `vector_store` reference).

Layout on disk: <path>/<collection>/records.json (distance, ids, documents,
metadatas) and <path>/<collection>/vectors.npy ([n, d] float32). Every write
replaces both files atomically (write to a temporary file, then rename), so a
reader in another process sees the old or the new state, never half of one.
Search is exact (brute force over the records the filters keep); filters use
ChromaDB's language (see the contract).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .ann_common import distances, prepare, top_k

DISTANCES = ("l2", "ip", "cosine")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")
_COMPARISONS = {
    "$eq": lambda a, b: a == b,
    "$ne": lambda a, b: a != b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$in": lambda a, b: a in b,
    "$nin": lambda a, b: a not in b,
}


class Store:
    def __init__(self, path: Path):
        self.path = path


class Collection:
    def __init__(self, folder: Path, distance: str, embedding_function=None):
        self.folder, self.name, self.distance = folder, folder.name, distance
        self.embedding_function = embedding_function
        self.ids: list[str] = []
        self.documents: list[str | None] = []
        self.metadatas: list[dict | None] = []
        self.vectors: np.ndarray | None = None  # [n, d] as given (normalised only when compared)

    # ------------------------------------------------------------------ persistence
    def save(self) -> None:
        records = {"distance": self.distance, "ids": self.ids, "documents": self.documents, "metadatas": self.metadatas}
        _write_atomic(self.folder / "records.json", json.dumps(records).encode())
        if self.vectors is not None:
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".npy", delete=False) as f:
                np.save(f, self.vectors)
            os.replace(f.name, self.folder / "vectors.npy")

    @classmethod
    def load(cls, folder: Path, embedding_function=None) -> "Collection":
        records = json.loads((folder / "records.json").read_text())
        c = cls(folder, records["distance"], embedding_function)
        c.ids, c.documents, c.metadatas = records["ids"], records["documents"], records["metadatas"]
        vectors = folder / "vectors.npy"
        c.vectors = np.load(vectors) if vectors.exists() else None
        return c

    def position(self) -> dict[str, int]:
        return {id_: i for i, id_ in enumerate(self.ids)}


def _write_atomic(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, path)


# ---------------------------------------------------------------------------- filters


def _matches_where(metadata: dict | None, where: dict) -> bool:
    if not isinstance(where, dict) or len(where) != 1:
        raise ValueError(f"a where filter is a dict with exactly one key (use $and/$or to combine), got {where!r}")
    (key, condition), = where.items()
    if key in ("$and", "$or"):
        if not isinstance(condition, list) or not condition:
            raise ValueError(f"{key} takes a non-empty list of filters, got {condition!r}")
        results = [_matches_where(metadata, c) for c in condition]
        return all(results) if key == "$and" else any(results)
    if key.startswith("$"):
        raise ValueError(f"unknown where operator {key!r}")
    if not isinstance(condition, dict):
        condition = {"$eq": condition}
    if len(condition) != 1:
        raise ValueError(f"one operator per key, got {condition!r}")
    (op, value), = condition.items()
    if op not in _COMPARISONS:
        raise ValueError(f"unknown where operator {op!r}: use one of {', '.join(_COMPARISONS)}")
    if op in ("$in", "$nin") and not isinstance(value, list):
        raise ValueError(f"{op} takes a list, got {value!r}")
    if metadata is None or key not in metadata:
        return False
    try:
        return bool(_COMPARISONS[op](metadata[key], value))
    except TypeError:
        return False  # comparing a str with a number: no match


def _matches_document(document: str | None, where_document: dict) -> bool:
    if not isinstance(where_document, dict) or len(where_document) != 1:
        raise ValueError(f"a where_document filter is a dict with exactly one key, got {where_document!r}")
    (op, value), = where_document.items()
    if op in ("$and", "$or"):
        results = [_matches_document(document, c) for c in value]
        return all(results) if op == "$and" else any(results)
    if op not in ("$contains", "$not_contains") or not isinstance(value, str):
        raise ValueError(f"where_document takes $contains/$not_contains with a string, got {where_document!r}")
    found = document is not None and value in document
    return found if op == "$contains" else not found


def _selected(c: Collection, where, where_document) -> np.ndarray:
    """Positions of the records the filters keep."""
    keep = [
        i for i in range(len(c.ids))
        if (where is None or _matches_where(c.metadatas[i], where))
        and (where_document is None or _matches_document(c.documents[i], where_document))
    ]
    return np.asarray(keep, dtype=np.int64)


# ---------------------------------------------------------------------------- the contract


def open_store(path):
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return Store(folder)


def create_collection(store, name, distance="cosine", embedding_function=None):
    if distance not in DISTANCES:
        raise ValueError(f"unknown distance {distance!r}: use one of {', '.join(DISTANCES)}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"collection name {name!r} must be 3-512 characters of [A-Za-z0-9._-], starting and ending alphanumeric")
    folder = store.path / name
    if folder.exists():
        raise ValueError(f"collection {name!r} already exists")
    folder.mkdir()
    c = Collection(folder, distance, embedding_function)
    c.save()
    return c


def get_collection(store, name, embedding_function=None):
    folder = store.path / name
    if not (folder / "records.json").exists():
        raise KeyError(f"collection {name!r} does not exist")
    return Collection.load(folder, embedding_function)


def list_collections(store):
    return sorted(p.name for p in store.path.iterdir() if (p / "records.json").exists())


def delete_collection(store, name):
    folder = store.path / name
    if not folder.exists():
        raise KeyError(f"collection {name!r} does not exist")
    shutil.rmtree(folder)


def _embeddings_for(c: Collection, n: int, embeddings, documents) -> np.ndarray:
    if embeddings is None:
        if documents is None:
            raise ValueError("give embeddings, or documents for the collection's embedding function to embed")
        if c.embedding_function is None:
            raise ValueError(f"collection {c.name!r} has no embedding function: pass embeddings")
        embeddings = c.embedding_function(list(documents))
    x = np.asarray(embeddings, dtype=np.float32)
    if x.ndim != 2 or len(x) != n:
        raise ValueError(f"embeddings must be [{n}, d], got shape {x.shape}")
    if c.vectors is not None and len(c.vectors) and x.shape[1] != c.vectors.shape[1]:
        raise ValueError(f"embeddings have dimension {x.shape[1]} but collection {c.name!r} holds dimension {c.vectors.shape[1]}")
    if not np.all(np.isfinite(x)):
        raise ValueError("embeddings contain NaN or inf")
    return x


def _check_lengths(ids, **fields) -> None:
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError("ids must be a list of str")
    for name, values in fields.items():
        if values is not None and len(values) != len(ids):
            raise ValueError(f"{len(ids)} ids but {len(values)} {name}")


def add(collection, ids, embeddings=None, documents=None, metadatas=None):
    c = collection
    _check_lengths(ids, embeddings=embeddings, documents=documents, metadatas=metadatas)
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate ids in one add")
    existing = set(c.ids) & set(ids)
    if existing:
        raise ValueError(f"ids already in the collection: {sorted(existing)[:5]}")
    x = _embeddings_for(c, len(ids), embeddings, documents)
    c.vectors = x if c.vectors is None or not len(c.vectors) else np.concatenate([c.vectors, x])
    c.ids += list(ids)
    c.documents += list(documents) if documents is not None else [None] * len(ids)
    c.metadatas += [dict(m) if m else None for m in metadatas] if metadatas is not None else [None] * len(ids)
    c.save()


def query(collection, query_embeddings, k=10, where=None, where_document=None):
    c = collection
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    q = np.asarray(query_embeddings, dtype=np.float32)
    if q.ndim != 2:
        raise ValueError(f"query_embeddings must be [q, d], got shape {q.shape}")
    if c.vectors is not None and len(c.vectors) and q.shape[1] != c.vectors.shape[1]:
        raise ValueError(f"query embeddings have dimension {q.shape[1]} but the collection holds dimension {c.vectors.shape[1]}")
    rows = _selected(c, where, where_document)
    out = {"ids": [], "distances": [], "documents": [], "metadatas": []}
    if len(rows) == 0:
        for key in out:
            out[key] = [[] for _ in q]
        return out
    base = prepare(c.vectors[rows], c.distance)  # [m, d]
    d = distances(prepare(q, c.distance), base, c.distance)  # [q, m]
    best, dist = top_k(d, int(k), rows)
    for ids_row, d_row in zip(best, dist):
        out["ids"].append([c.ids[i] for i in ids_row])
        out["distances"].append(d_row.tolist())
        out["documents"].append([c.documents[i] for i in ids_row])
        out["metadatas"].append([c.metadatas[i] for i in ids_row])
    return out


def get(collection, ids=None, where=None, where_document=None):
    c = collection
    rows = _selected(c, where, where_document)
    if ids is not None:
        wanted = set(ids)
        rows = np.asarray([i for i in rows if c.ids[i] in wanted], dtype=np.int64)
    dim = 0 if c.vectors is None else c.vectors.shape[1]
    return {
        "ids": [c.ids[i] for i in rows],
        "embeddings": c.vectors[rows] if len(rows) else np.zeros((0, dim), np.float32),
        "documents": [c.documents[i] for i in rows],
        "metadatas": [c.metadatas[i] for i in rows],
    }


def update(collection, ids, embeddings=None, documents=None, metadatas=None):
    c = collection
    _check_lengths(ids, embeddings=embeddings, documents=documents, metadatas=metadatas)
    where = c.position()
    missing = [i for i in ids if i not in where]
    if missing:
        raise ValueError(f"cannot update ids that do not exist: {missing[:5]}")
    rows = [where[i] for i in ids]
    if embeddings is not None or documents is not None:
        new = _embeddings_for(c, len(ids), embeddings, documents)
        c.vectors[rows] = new
    for j, r in enumerate(rows):
        if documents is not None:
            c.documents[r] = documents[j]
        if metadatas is not None and metadatas[j] is not None:
            c.metadatas[r] = {**(c.metadatas[r] or {}), **metadatas[j]}
    c.save()


def delete(collection, ids=None, where=None, where_document=None):
    c = collection
    doomed = set(c.ids[i] for i in _selected(c, where, where_document))
    if ids is not None:
        doomed &= set(ids)
    keep = [i for i, id_ in enumerate(c.ids) if id_ not in doomed]
    c.ids = [c.ids[i] for i in keep]
    c.documents = [c.documents[i] for i in keep]
    c.metadatas = [c.metadatas[i] for i in keep]
    if c.vectors is not None:
        c.vectors = c.vectors[keep]
    c.save()


def count(collection):
    return len(collection.ids)
