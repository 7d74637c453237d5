"""Peer: hnswlib (the HNSW authors' C++ library) behind the vector index contract."""


def unavailable_reason():
    try:
        import hnswlib  # noqa: F401
    except ImportError as exc:
        return f"hnswlib is not installed ({exc})"
    return None
