"""Rerankers: maximal marginal relevance and a cross-encoder (roadmap Day 33-34)."""

from __future__ import annotations

import numpy as np


def mmr(query_vector, doc_vectors, k, lambda_=0.5):
    docs = np.asarray(doc_vectors, dtype=np.float64)  # [n, d]
    relevance = docs @ np.asarray(query_vector, dtype=np.float64)  # [n]
    similarity = docs @ docs.T  # [n, n]
    picked: list[int] = []
    redundancy = np.full(len(docs), -np.inf)  # max similarity to anything picked so far
    available = np.ones(len(docs), dtype=bool)
    for _ in range(min(k, len(docs))):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        score = lambda_ * relevance - (1.0 - lambda_) * penalty
        score[~available] = -np.inf
        best = int(np.argmax(score))  # argmax: ties to the lower index
        picked.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, similarity[best])
    return picked


def cross_encoder_rerank(query, texts, score_pairs, k=None):
    texts = list(texts)
    if not texts:
        return []
    scores = np.asarray(score_pairs([(query, t) for t in texts]), dtype=np.float64).reshape(-1)
    if scores.shape[0] != len(texts):
        raise ValueError(f"score_pairs returned {scores.shape[0]} scores for {len(texts)} texts")
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    return order if k is None else order[:k]
