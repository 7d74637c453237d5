"""Retrievers: BM25 against bm25s, dense top-k, hybrid fusion (roadmap Day 33-34)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_close, assert_raises_clearly, fail

SKILL = "retrievers"

words = st.sampled_from(["parse", "header", "http", "client", "cache", "token", "index", "chunk", "query", "vector"])


def bm25s_scores(corpus, query, k1, b):
    """bm25s's Lucene BM25 (the reference), in float64 for the comparison."""
    import bm25s

    model = bm25s.BM25(k1=k1, b=b, method="lucene", dtype="float64")
    model.index(corpus, show_progress=False)
    return np.asarray(model.get_scores(query), dtype=np.float64)


@settings(max_examples=40, deadline=None)
@given(corpus=st.lists(st.lists(words, min_size=1, max_size=30), min_size=1, max_size=15),
       query=st.lists(words, min_size=1, max_size=4),
       k1=st.sampled_from([0.9, 1.2, 1.5]), b=st.sampled_from([0.0, 0.4, 0.75, 1.0]))
def test_bm25_matches_bm25s(impl, corpus, query, k1, b):
    query = list(dict.fromkeys(query))  # distinct terms: bm25s and we agree on repeats too, but keep the spec simple
    got = impl.bm25_scores(impl.bm25_index(corpus, k1=k1, b=b), query)
    ref = bm25s_scores(corpus, query, k1, b)
    assert_close(np.asarray(got, dtype=np.float64), ref, None, floor=1e-9 * max(1.0, float(np.abs(ref).max())), what=f"BM25 scores (k1={k1}, b={b})")


def test_bm25_normalises_document_length(impl):
    # Same term frequency, one document padded with 40 other words: it must score lower.
    short = ["cache", "eviction", "policy"]
    long = ["cache", "eviction", "policy"] + ["filler"] * 40
    others = [["http", "client"], ["token", "index"]]
    scores = np.asarray(impl.bm25_scores(impl.bm25_index([short, long] + others, k1=1.5, b=0.75), ["cache"]))
    if not scores[0] > scores[1]:
        fail(f"a short document ({scores[0]:.4f}) should outscore a long one with the same term frequency ({scores[1]:.4f}): BM25 without document length normalisation")
    ref = bm25s_scores([short, long] + others, ["cache"], 1.5, 0.75)
    assert_close(scores, ref, None, floor=1e-9, what="BM25 scores of a short and a long document")


def test_bm25_empty_corpus_is_refused(impl):
    assert_raises_clearly(ValueError, impl.bm25_index, [], match_any=["empty", "corpus"], what="an empty corpus")


def test_code_tokens_split_identifiers(impl):
    got = impl.code_tokens("def parseHTTPHeader(raw_line): return HTTP_OK")
    for term in ["parsehttpheader", "parse", "http", "header", "raw_line", "raw", "line", "return", "http_ok", "ok"]:
        if term not in got:
            fail(f"code_tokens misses {term!r}: got {got}")
    assert all(t == t.lower() for t in got), "terms are lower-cased"


def test_dense_top_k_matches_argsort(impl, rng):
    docs = rng.standard_normal((50, 16)).astype(np.float32)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    q = docs[7] + 0.1 * rng.standard_normal(16).astype(np.float32)
    got = impl.dense_top_k(q, docs, 5)
    want = list(np.argsort(-(docs @ q), kind="stable")[:5])
    assert list(got) == want, f"dense top-5 {list(got)} != {want}"
    assert list(impl.dense_top_k(q, docs[:3], 10)) == list(np.argsort(-(docs[:3] @ q), kind="stable")), "n < k returns all, best first"
    ties = np.ones((4, 2), dtype=np.float32)
    assert list(impl.dense_top_k(np.ones(2, np.float32), ties, 3)) == [0, 1, 2], "ties go to the lower index"
    assert_raises_clearly(ValueError, impl.dense_top_k, np.ones(3, np.float32), docs, 2, match_any=["dimension", "shape"], what="a query of another dimension")


def rrf_reference(rankings, k=60, weights=None):
    weights = weights or [1.0] * len(rankings)
    scores, first = {}, {}
    for ranking, w in zip(rankings, weights):
        for r, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + w / (k + r)
            first.setdefault(item, len(first))
    return sorted(scores, key=lambda i: (-scores[i], first[i]))


@settings(max_examples=40, deadline=None)
@given(lists=st.lists(st.lists(st.integers(0, 30), unique=True, max_size=12), min_size=1, max_size=4), k=st.sampled_from([1, 10, 60]))
def test_rrf_matches_definition(impl, lists, k):
    got = impl.reciprocal_rank_fusion(lists, k=k)
    want = rrf_reference(lists, k)
    if list(got) != want:
        fail(f"RRF of {lists} (k={k}) is {list(got)}, expected {want}")


def test_hybrid_fusion_uses_every_list(impl):
    dense = ["a", "b", "c"]
    keyword = ["z", "y", "b"]
    got = list(impl.reciprocal_rank_fusion([dense, keyword]))
    missing = {"z", "y"} - set(got)
    if missing:
        fail(f"fused ranking {got} lacks {sorted(missing)} from the second list: hybrid fusion ignores one list")
    if got[0] != "b":
        fail(f"'b' is in both lists and must rank first after fusion, got {got}")
    weighted = list(impl.reciprocal_rank_fusion([dense, keyword], weights=[0.0, 1.0]))
    assert weighted[:2] == ["z", "y"], f"with weight 0 on the dense list the keyword ranking leads: {weighted}"


def test_weighted_fusion(impl):
    dense = {"a": 0.9, "b": 0.5, "c": 0.1}
    bm25 = {"b": 12.0, "d": 4.0}
    got = list(impl.weighted_fusion([dense, bm25], [0.5, 0.5]))
    # normalised: dense a=1, b=0.5, c=0; bm25 b=1, d=0 -> b=0.75, a=0.5, c=0, d=0
    assert got == ["b", "a", "c", "d"], f"weighted fusion gave {got}"
    assert list(impl.weighted_fusion([{"x": 3.0, "y": 3.0}], [1.0])) == ["x", "y"], "equal scores normalise to 1, ties by first appearance"
    assert_raises_clearly(ValueError, impl.weighted_fusion, [dense, bm25], [1.0], match_any=["weight"], what="one weight for two score maps")
