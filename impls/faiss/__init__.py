"""Peers: faiss indexes (IndexFlat, IndexIVFFlat, IndexHNSWFlat) behind the vector
index contract, so that our indexes are measured against them in the same run."""


def unavailable_reason():
    try:
        import faiss  # noqa: F401
    except ImportError as exc:
        return f"faiss-cpu is not installed ({exc})"
    return None
