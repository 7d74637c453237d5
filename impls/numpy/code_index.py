"""A persistent, incrementally updated code index on ChromaDB (roadmap Day 31-32).

Each chunk is stored with its metadata and the hash of the file it came from;
a sync re-chunks and re-embeds only files whose hash changed and deletes the
chunks of files that are gone, so re-indexing an unchanged repository embeds
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aigc_bench.rag import Chunk, content_hash

EMBED_BATCH = 256  # texts per embedding call and per ChromaDB insert


class _ChromaEmbedding:
    """Our `embed` callable in the shape ChromaDB's collection expects."""

    def __init__(self, embed):
        self._embed = embed

    def __call__(self, input):
        return [np.asarray(v, dtype=np.float32) for v in self._embed(list(input))]

    def embed_query(self, input):
        return self(input)

    @staticmethod
    def name():
        return "aigc-bench-caller-embedding"

    def get_config(self):
        return {}

    @staticmethod
    def build_from_config(config):
        return _ChromaEmbedding(_needs_embed)  # ChromaDB rebuilds it on reopen; open_index hands the real one

    def is_legacy(self):
        return False

    def default_space(self):
        return "cosine"

    def supported_spaces(self):
        return ["cosine"]


def _needs_embed(texts):
    raise ValueError("this aigc-bench index was opened without its embed callable: use open_index(directory, embed)")


@dataclass
class CodeIndex:
    directory: Path
    collection: object  # chromadb Collection
    embed: object


def open_index(directory, embed, collection="code"):
    import chromadb
    from chromadb.config import Settings

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(directory), settings=Settings(anonymized_telemetry=False))
    coll = client.get_or_create_collection(
        collection, embedding_function=_ChromaEmbedding(embed), metadata={"hnsw:space": "cosine"}
    )
    return CodeIndex(directory, coll, embed)


def _indexed_file_hashes(index):
    found = index.collection.get(include=["metadatas"])
    return {m["path"]: m["file_hash"] for m in found["metadatas"]}


def sync_files(index, files, chunker):
    known = _indexed_file_hashes(index)
    stats = {"added": 0, "updated": 0, "deleted": 0, "unchanged": 0, "chunks_embedded": 0}
    for path in sorted(set(known) - set(files)):
        index.collection.delete(where={"path": path})
        stats["deleted"] += 1

    pending: list[tuple[str, Chunk, str]] = []  # (id, chunk, file hash) waiting to be embedded
    for path in sorted(files):
        file_hash = content_hash(files[path])
        if known.get(path) == file_hash:
            stats["unchanged"] += 1
            continue
        if path in known:
            index.collection.delete(where={"path": path})
            stats["updated"] += 1
        else:
            stats["added"] += 1
        for n, chunk in enumerate(chunker(path, files[path])):
            pending.append((f"{chunk.chunk_id}#{n}", chunk, file_hash))
        if len(pending) >= EMBED_BATCH:
            stats["chunks_embedded"] += _add(index, pending)
            pending = []
    stats["chunks_embedded"] += _add(index, pending)
    return stats


def _add(index, pending):
    for start in range(0, len(pending), EMBED_BATCH):
        batch = pending[start:start + EMBED_BATCH]
        vectors = index.embed([chunk.embedding_text for _, chunk, _ in batch])  # [b, d]
        index.collection.add(
            ids=[i for i, _, _ in batch],
            documents=[chunk.text for _, chunk, _ in batch],
            embeddings=np.asarray(vectors, dtype=np.float32),
            metadatas=[chunk.to_metadata() | {"file_hash": h} for _, chunk, h in batch],
        )
    return len(pending)


def search_index(index, query, k=10, where=None):
    total = index.collection.count()
    if total == 0:
        return []
    query_vector = np.asarray(index.embed([query]), dtype=np.float32)
    found = index.collection.query(
        query_embeddings=query_vector, n_results=min(k, total), where=where,
        include=["documents", "metadatas", "distances"],
    )
    return [
        (Chunk.from_metadata(text, meta), 1.0 - float(distance))  # cosine distance -> similarity
        for text, meta, distance in zip(found["documents"][0], found["metadatas"][0], found["distances"][0])
    ]


def indexed_chunks(index):
    found = index.collection.get(include=["documents", "metadatas"])
    return [Chunk.from_metadata(text, meta) for text, meta in zip(found["documents"], found["metadatas"])]
