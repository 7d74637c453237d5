"""ChromaDB behind our contracts: its HNSW index as a vector index peer (ann_hnsw)
and its client as a vector store (vector_store), on disk or over HTTP."""


def unavailable_reason():
    try:
        import chromadb  # noqa: F401
    except ImportError as exc:
        return f"chromadb is not installed ({exc})"
    return None
