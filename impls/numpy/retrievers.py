"""Retrievers: BM25 (Lucene variant, as bm25s scores it), dense top-k, hybrid fusion
(roadmap Day 33-34)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"[A-Za-z0-9_]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def code_tokens(text):
    terms = []
    for word in _WORD.findall(text):
        parts = [p for piece in word.split("_") for p in _CAMEL.findall(piece)]
        whole = word.lower().strip("_")
        if len(whole) >= 2:
            terms.append(whole)
        if len(parts) > 1:  # the pieces of a compound identifier, as well as the whole
            terms.extend(p.lower() for p in parts if len(p) >= 2)
    return terms


@dataclass
class BM25Index:
    postings: dict  # term -> (doc ids int64 [m], term frequencies float64 [m])
    doc_len: np.ndarray  # float64 [n_docs]
    mean_len: float
    k1: float
    b: float

    @property
    def n_docs(self) -> int:
        return len(self.doc_len)


def bm25_index(corpus_tokens, k1=1.5, b=0.75):
    corpus_tokens = list(corpus_tokens)
    if not corpus_tokens:
        raise ValueError("BM25 needs a non-empty corpus (got 0 documents)")
    postings: dict[str, tuple[list, list]] = {}
    for doc, tokens in enumerate(corpus_tokens):
        for term, tf in Counter(tokens).items():
            ids, tfs = postings.setdefault(term, ([], []))
            ids.append(doc)
            tfs.append(tf)
    doc_len = np.array([len(t) for t in corpus_tokens], dtype=np.float64)
    mean_len = float(doc_len.mean()) or 1.0  # a corpus of empty documents: avoid 0/0
    frozen = {t: (np.array(ids, dtype=np.int64), np.array(tfs, dtype=np.float64)) for t, (ids, tfs) in postings.items()}
    return BM25Index(frozen, doc_len, mean_len, float(k1), float(b))


def bm25_scores(index, query_tokens):
    scores = np.zeros(index.n_docs, dtype=np.float64)
    n = index.n_docs
    # length normalisation: a long document needs more occurrences for the same score
    norm = index.k1 * (1.0 - index.b + index.b * index.doc_len / index.mean_len)  # [n_docs]
    for term in query_tokens:
        if term not in index.postings:
            continue
        ids, tf = index.postings[term]
        idf = np.log(1.0 + (n - len(ids) + 0.5) / (len(ids) + 0.5))
        scores[ids] += idf * tf / (tf + norm[ids])
    return scores


def dense_top_k(query_vector, doc_vectors, k):
    q = np.asarray(query_vector)
    docs = np.asarray(doc_vectors)
    if docs.ndim != 2 or q.ndim != 1 or docs.shape[1] != q.shape[0]:
        raise ValueError(f"query has shape {q.shape} but documents have shape {docs.shape}: dimensions differ")
    scores = docs @ q  # [n]
    order = np.argsort(-scores, kind="stable")  # stable: ties keep the lower index first
    return [int(i) for i in order[:k]]


def _first_appearance_order(lists):
    seen = {}
    for items in lists:
        for item in items:
            seen.setdefault(item, len(seen))
    return seen


def reciprocal_rank_fusion(rankings, k=60, weights=None):
    rankings = [list(r) for r in rankings]
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    fused: dict = {}
    for ranking, w in zip(rankings, weights):
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    order = _first_appearance_order(rankings)
    return sorted(fused, key=lambda item: (-fused[item], order[item]))


def weighted_fusion(score_maps, weights):
    score_maps, weights = list(score_maps), list(weights)
    if len(weights) != len(score_maps):
        raise ValueError(f"{len(weights)} weights for {len(score_maps)} score maps")
    fused: dict = {}
    for scores, w in zip(score_maps, weights):
        if not scores:
            continue
        values = np.array(list(scores.values()), dtype=np.float64)
        low, span = values.min(), values.max() - values.min()
        for item, s in scores.items():
            normalised = 1.0 if span == 0 else (s - low) / span
            fused[item] = fused.get(item, 0.0) + w * normalised
    order = _first_appearance_order(score_maps)
    return sorted(fused, key=lambda item: (-fused[item], order[item]))
