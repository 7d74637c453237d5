"""Vector databases (roadmap Day 17-18): collections with a chosen distance, adding
documents with embeddings and metadata, top-k search, `where` and `where_document`
filters, update, delete, and persistence across processes.

Every check runs against a store on disk (`open_store(tmp folder)`) and, under the
`server` marker, against a real `chroma run` server on a loopback port (for
implementations that provide `connect(url)`). Data: docstring summaries of two
installed packages (real text), embedded with MiniLM."""

import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pytest

from aigc_bench.checks import assert_raises_clearly, fail
from aigc_bench.contract import PROJECT_ROOT

from .contract import DISTANCES

SKILL = "vector_store"
K = 5


@pytest.fixture(params=["disk", pytest.param("server", marks=pytest.mark.server)])
def store(request, impl):
    """A store of the implementation under test: on disk, or through a Chroma server."""
    if request.param == "disk":
        # our own temporary folder: pytest's numbered tmp_path folders are pruned by
        # other pytest sessions of the same user running at the same time
        path = Path(tempfile.mkdtemp(prefix="aigc-store-"))
        request.addfinalizer(lambda: shutil.rmtree(path, ignore_errors=True))
        return {"mode": "disk", "path": path, "handle": impl.open_store(str(path / "store"))}
    if not impl.has("connect"):
        pytest.skip(f"{impl.name}'s vector_store has no connect(url): the server checks need one")
    url = request.getfixturevalue("chroma_server")
    return {"mode": "server", "url": url, "handle": impl.connect(url)}


def new_name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def filled(impl, store, corpus, distance="cosine", embeddings=None):
    """A new collection holding the whole corpus (ids, embeddings, documents, metadata)."""
    c = impl.create_collection(store["handle"], new_name(), distance, corpus["embed"])
    impl.add(c, corpus["ids"], corpus["embeddings"] if embeddings is None else embeddings, corpus["documents"], corpus["metadatas"])
    return c


def exact_order(query, vectors, distance):
    """Float64 distances of every record to `query` and the ranking they give."""
    q, x = np.asarray(query, np.float64), np.asarray(vectors, np.float64)
    if distance == "cosine":
        q, x = q / np.linalg.norm(q), x / np.linalg.norm(x, axis=1, keepdims=True)
    d = ((x - q) ** 2).sum(1) if distance == "l2" else 1.0 - x @ q
    return d, np.argsort(d, kind="stable")


def check_ranked(result, corpus, vectors, query, distance, allowed, k, what):
    """result (one query's lists) holds the k nearest among `allowed` positions, nearest first,
    with their true distances, documents and metadata."""
    d, _ = exact_order(query, vectors, distance)
    allowed = np.asarray(sorted(allowed), dtype=np.int64)
    want = allowed[np.argsort(d[allowed], kind="stable")][:k]
    ids = result["ids"]
    positions = [corpus["ids"].index(i) for i in ids]
    if len(ids) != len(want):
        fail(f"{what}: returned {len(ids)} records, expected {len(want)} (k={k}, {len(allowed)} match the filters)")
    if sorted(positions) != sorted(want.tolist()) and not np.allclose(np.sort(d[positions]), d[want], atol=1e-5):
        extra = sorted(set(corpus["ids"][p] for p in positions) - set(corpus["ids"][p] for p in want))
        fail(f"{what}: returned ids that are not the {k} nearest among the records the filters keep: {extra[:5]}")
    got_d = np.asarray(result["distances"], np.float64)
    if not np.allclose(got_d, d[positions], atol=1e-4, rtol=1e-4):
        hint = " (cosine: normalise both vectors)" if distance == "cosine" else ""
        fail(f"{what}: distances {np.round(got_d[:3], 5).tolist()} differ from the true {distance} distances "
             f"{np.round(d[positions][:3], 5).tolist()}{hint}")
    if np.any(np.diff(got_d) < -1e-6):
        fail(f"{what}: results are not sorted nearest first: {got_d.tolist()}")
    for p, doc, meta in zip(positions, result["documents"], result["metadatas"]):
        if doc != corpus["documents"][p] or meta != corpus["metadatas"][p]:
            fail(f"{what}: record {corpus['ids'][p]} came back with document/metadata {doc!r}/{meta!r}, "
                 f"stored {corpus['documents'][p]!r}/{corpus['metadatas'][p]!r}")


# ---------------------------------------------------------------------------- collections and search


@pytest.mark.parametrize("distance", DISTANCES)
def test_query_returns_the_k_nearest(impl, store, corpus, distance, rng):
    # scaled rows: the stored vectors are not all of norm 1, so cosine must normalise
    scaled = corpus["embeddings"] * rng.uniform(0.5, 2.0, (len(corpus["ids"]), 1)).astype(np.float32)
    c = filled(impl, store, corpus, distance, scaled)
    if impl.count(c) != len(corpus["ids"]):
        fail(f"count is {impl.count(c)} after adding {len(corpus['ids'])} records")
    queries = scaled[[0, 7, 33]] + 0.05 * rng.standard_normal((3, scaled.shape[1])).astype(np.float32)
    result = impl.query(c, queries, K)
    for i, q in enumerate(queries):
        one = {key: result[key][i] for key in ("ids", "distances", "documents", "metadatas")}
        check_ranked(one, corpus, scaled, q, distance, range(len(scaled)), K, f"{distance} query {i}")


def test_collections_are_listed_reopened_and_deleted(impl, store, corpus):
    name = new_name()
    c = impl.create_collection(store["handle"], name, "l2", corpus["embed"])
    impl.add(c, corpus["ids"][:3], corpus["embeddings"][:3], corpus["documents"][:3], corpus["metadatas"][:3])
    if name not in impl.list_collections(store["handle"]):
        fail(f"list_collections does not list the new collection {name!r}")
    again = impl.get_collection(store["handle"], name, corpus["embed"])
    if impl.count(again) != 3:
        fail(f"get_collection gave a collection of {impl.count(again)} records, expected 3")
    result = impl.query(again, corpus["embeddings"][:1], 1)
    if result["ids"][0] != [corpus["ids"][0]] or abs(result["distances"][0][0]) > 1e-4:
        fail(f"the reopened collection does not find record 0 at l2 distance 0: {result['ids'][0]}, {result['distances'][0]}")
    impl.delete_collection(store["handle"], name)
    if name in impl.list_collections(store["handle"]):
        fail("delete_collection left the collection listed")
    assert_raises_clearly(KeyError, impl.get_collection, store["handle"], name, what="a deleted collection")


def test_documents_without_embeddings_use_the_embedding_function(impl, store, corpus):
    c = impl.create_collection(store["handle"], new_name(), "cosine", corpus["embed"])
    impl.add(c, corpus["ids"][:4], None, corpus["documents"][:4], corpus["metadatas"][:4])
    got = impl.get(c, ids=[corpus["ids"][2]])
    stored = np.asarray(got["embeddings"], np.float64)
    if stored.shape != (1, corpus["embeddings"].shape[1]) or not np.allclose(stored[0], corpus["embeddings"][2], atol=1e-4):
        fail("a document added without an embedding was not embedded with the collection's embedding function")


# ---------------------------------------------------------------------------- filters

WHERE_CASES = {
    "equality": ({"package": "jinja2"}, lambda m: m["package"] == "jinja2"),
    "$ne": ({"package": {"$ne": "jinja2"}}, lambda m: m["package"] != "jinja2"),
    "$gt": ({"lines": {"$gt": 12}}, lambda m: m["lines"] > 12),
    "$lte": ({"lines": {"$lte": 6}}, lambda m: m["lines"] <= 6),
    "$in": ({"package": {"$in": ["click", "nothing"]}}, lambda m: m["package"] in ("click", "nothing")),
    "$nin": ({"package": {"$nin": ["click"]}}, lambda m: m["package"] != "click"),
    "bool": ({"method": True}, lambda m: m["method"] is True),
    "$and": ({"$and": [{"package": "click"}, {"lines": {"$gte": 8}}]}, lambda m: m["package"] == "click" and m["lines"] >= 8),
    "$or": ({"$or": [{"package": "jinja2"}, {"lines": {"$lt": 5}}]}, lambda m: m["package"] == "jinja2" or m["lines"] < 5),
}


@pytest.mark.parametrize("case", list(WHERE_CASES))
def test_where_filters_metadata(impl, store, corpus, case):
    where, keep = WHERE_CASES[case]
    c = filled(impl, store, corpus)
    allowed = [i for i, m in enumerate(corpus["metadatas"]) if keep(m)]
    assert allowed, f"the corpus has no record for the {case} case"  # the case must select something
    q = corpus["embeddings"][5:6]
    result = impl.query(c, q, K, where=where)
    one = {key: result[key][0] for key in ("ids", "distances", "documents", "metadatas")}
    check_ranked(one, corpus, corpus["embeddings"], q[0], "cosine", allowed, K, f"query with where={where}")
    got = set(impl.get(c, where=where)["ids"])
    want = {corpus["ids"][i] for i in allowed}
    if got != want:
        fail(f"get(where={where}) returned {len(got)} records, {len(want)} match; wrong ones: {sorted(got ^ want)[:5]}")


def test_where_document_filters_text(impl, store, corpus):
    c = filled(impl, store, corpus)
    word = "template"
    q = corpus["embeddings"][0:1]
    for where_document, keep in (({"$contains": word}, lambda d: word in d), ({"$not_contains": word}, lambda d: word not in d)):
        allowed = [i for i, d in enumerate(corpus["documents"]) if keep(d)]
        result = impl.query(c, q, K, where_document=where_document)
        one = {key: result[key][0] for key in ("ids", "distances", "documents", "metadatas")}
        check_ranked(one, corpus, corpus["embeddings"], q[0], "cosine", allowed, K, f"query with where_document={where_document}")
    both = impl.query(c, q, 50, where={"package": "jinja2"}, where_document={"$contains": word})
    allowed = [i for i, (d, m) in enumerate(zip(corpus["documents"], corpus["metadatas"])) if word in d and m["package"] == "jinja2"]
    if sorted(both["ids"][0]) != sorted(corpus["ids"][i] for i in allowed):
        fail(f"where and where_document together returned {both['ids'][0]}, expected the {len(allowed)} records matching both")


# ---------------------------------------------------------------------------- update and delete


def test_update_changes_records_in_place(impl, store, corpus):
    c = filled(impl, store, corpus)
    target, other = corpus["ids"][4], corpus["embeddings"][20]
    impl.update(c, [target], embeddings=other[None, :], documents=["a replaced document"], metadatas=[{"lines": 999, "reviewed": True}])
    if impl.count(c) != len(corpus["ids"]):
        fail(f"update changed the count to {impl.count(c)}")
    got = impl.get(c, ids=[target])
    meta = got["metadatas"][0]
    if got["documents"][0] != "a replaced document":
        fail(f"update did not replace the document: {got['documents'][0]!r}")
    expected_meta = {**corpus["metadatas"][4], "lines": 999, "reviewed": True}
    if meta != expected_meta:
        fail(f"update's metadata should merge into the old one (ChromaDB's rule): got {meta}, expected {expected_meta}")
    if not np.allclose(np.asarray(got["embeddings"], np.float64)[0], other, atol=1e-5):
        fail("update did not replace the embedding")
    found = impl.query(c, other[None, :], 2)["ids"][0]
    if target not in found:
        fail(f"after moving {target}'s embedding onto record 20's, a query there does not find it: {found}")
    assert_raises_clearly(ValueError, impl.update, c, ["no-such-id"], documents=["x"], what="updating an id that does not exist")


def test_delete_by_ids_and_by_where(impl, store, corpus):
    c = filled(impl, store, corpus)
    impl.delete(c, ids=corpus["ids"][:2])
    impl.delete(c, where={"package": "jinja2"})
    gone = set(corpus["ids"][:2]) | {i for i, m in zip(corpus["ids"], corpus["metadatas"]) if m["package"] == "jinja2"}
    left = len(corpus["ids"]) - len(gone)
    if impl.count(c) != left:
        fail(f"after deleting {len(gone)} records the count is {impl.count(c)}, expected {left}")
    returned = set(impl.query(c, corpus["embeddings"][[0, 1, 40]], 50)["ids"][0])
    if returned & gone:
        fail(f"deleted records are still returned by query: {sorted(returned & gone)[:5]}")
    if set(impl.get(c)["ids"]) != set(corpus["ids"]) - gone:
        fail("get() after delete does not hold exactly the remaining records")


# ---------------------------------------------------------------------------- persistence


def test_reopened_in_a_new_process_everything_is_intact(impl, store, corpus):
    if store["mode"] != "disk":
        pytest.skip("persistence across processes is checked on disk (the server keeps its own files)")
    c = filled(impl, store, corpus, "l2")
    impl.update(c, [corpus["ids"][3]], metadatas=[{"lines": -1}])
    impl.delete(c, ids=[corpus["ids"][9]])
    name = c.name if hasattr(c, "name") else None
    names = impl.list_collections(store["handle"])
    name = name if name in names else names[-1]
    backend = {k: (str(v) if k == "folder" and v is not None else v) for k, v in dataclasses.asdict(impl.backend).items()}
    child = subprocess.run(
        [sys.executable, "-m", "suites.week03_chromadb.dump_store", json.dumps(backend), str(store["path"] / "store"), name],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
    )
    if child.returncode != 0:
        files = sorted(str(f.relative_to(store["path"])) for f in store["path"].rglob("*"))
        fail(f"reopening the store in a new process failed (files: {files[:8]}):\n{child.stderr[-2000:]}")
    seen = json.loads(child.stdout)
    keep = [i for i in range(len(corpus["ids"])) if i != 9]
    want_meta = [dict(corpus["metadatas"][i], **({"lines": -1} if i == 3 else {})) for i in keep]
    if seen["ids"] != [corpus["ids"][i] for i in keep] or seen["count"] != len(keep):
        fail(f"the new process sees {seen['count']} records ({seen['ids'][:3]}...), expected {len(keep)}")
    if seen["documents"] != [corpus["documents"][i] for i in keep] or seen["metadatas"] != want_meta:
        fail("the new process sees different documents or metadata (the update or the delete was not persisted)")
    if not np.allclose(np.asarray(seen["embeddings"]), corpus["embeddings"][keep], atol=1e-6):
        fail("the new process sees different embeddings")
    nearest = seen["nearest"]
    if nearest["ids"][0][0] != corpus["ids"][0] or abs(nearest["distances"][0][0]) > 1e-4:
        fail(f"in the new process, record 0's own embedding does not find it first at l2 distance 0: {nearest['ids'][0]}")


# ---------------------------------------------------------------------------- bad input


def test_bad_input_is_a_clear_error(impl, store, corpus):
    h = store["handle"]
    emb = corpus["embeddings"]
    assert_raises_clearly(ValueError, impl.create_collection, h, new_name(), "manhattan", what="an unknown distance", match_any=("distance",))
    c = impl.create_collection(h, new_name(), "cosine", corpus["embed"])
    assert_raises_clearly(ValueError, impl.create_collection, h, c.name if hasattr(c, "name") else impl.list_collections(h)[0], "cosine",
                          what="an existing collection name", match_any=("exist",))
    impl.add(c, ["a", "b"], emb[:2], ["x", "y"], [{"n": 1}, {"n": 2}])
    assert_raises_clearly(ValueError, impl.add, c, ["a"], emb[:1], ["again"], [{"n": 3}], what="adding an id twice")
    assert_raises_clearly(ValueError, impl.add, c, ["c", "d"], emb[:1], ["x", "y"], None, what="2 ids with 1 embedding")
    assert_raises_clearly(ValueError, impl.add, c, ["e"], np.ones((1, 7), np.float32), ["z"], None, what="an embedding of the wrong dimension", match_any=("dimension",))
    assert_raises_clearly(ValueError, impl.query, c, emb[:1], 0, what="k = 0")
    assert_raises_clearly(KeyError, impl.get_collection, h, "no-such-collection", what="a collection that does not exist")
