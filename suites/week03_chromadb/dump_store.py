"""Reopen a vector store in a fresh process and print one collection as JSON.

    python -m suites.week03_chromadb.dump_store '<backend json>' <store path> <collection>

Used by the suite to check persistence: everything written by one process must
be there for the next. The backend is rebuilt from its fields (a bundled
backend, a learner's folder, or a catalogued mistake)."""

import json
import sys

import numpy as np


def main(backend_json: str, path: str, name: str) -> None:
    from aigc_bench import registry

    fields = json.loads(backend_json)
    if fields.get("folder"):
        fields["folder"] = __import__("pathlib").Path(fields["folder"])
    backend = registry.Backend(**fields)
    if backend.kind == "learner":
        registry.learner_backend(backend.folder)  # makes its package importable
    skill = registry.skills()["vector_store"]

    def fn(function):
        return registry.resolve_function(backend, skill, function)

    store = fn("open_store")(path)
    try:
        collection = fn("get_collection")(store, name)
    except KeyError:
        raise SystemExit(f"collection {name!r} is not in the reopened store {path} (it lists {fn('list_collections')(store)})")
    got = fn("get")(collection)
    order = np.argsort(got["ids"])
    embeddings = np.asarray(got["embeddings"], dtype=np.float64)
    first = embeddings[order[:1]] if len(order) else np.zeros((0, 0))
    nearest = fn("query")(collection, first, 3) if len(order) else None
    json.dump({
        "collections": sorted(fn("list_collections")(store)),
        "count": int(fn("count")(collection)),
        "ids": [got["ids"][i] for i in order],
        "documents": [got["documents"][i] for i in order],
        "metadatas": [got["metadatas"][i] for i in order],
        "embeddings": embeddings[order].tolist(),
        "nearest": nearest,
    }, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:4])
