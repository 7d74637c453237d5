"""Retrieval metrics as BEIR defines them (BEIR computes them with pytrec_eval).

For one query, `ranking` is the list of document ids the system returned,
best first, and `relevant` maps each relevant document id to its relevance
grade (a set means grade 1 for each). With k a cut-off:

    MRR@k     1 / (rank of the first relevant document among the top k), 0 if none
    Recall@k  |relevant documents among the top k| / |relevant documents|
    nDCG@k    DCG@k / IDCG@k, where DCG@k = sum_{i=1..k} grade(doc_i) / log2(i + 1)
              (trec_eval's linear gain) and IDCG@k is the DCG@k of the ideal
              ordering (relevant documents sorted by grade, best first)

`evaluate` averages each metric over the queries (BEIR's macro average) and
names them as BEIR prints them: "MRR@10", "Recall@5", "NDCG@10".

A query without any relevant document, a ranking that repeats a document, or
rankings and judgements of different counts are errors (pytrec_eval would
quietly drop or double count them).
"""

from __future__ import annotations

import math
from typing import Hashable, Iterable, Mapping, Sequence, Union

Relevant = Union[Mapping[Hashable, float], Iterable[Hashable]]

DEFAULT_KS = (1, 5, 10)


def _grades(relevant: Relevant) -> dict:
    if isinstance(relevant, Mapping):
        grades = {doc: float(g) for doc, g in relevant.items() if g > 0}
    else:
        grades = {doc: 1.0 for doc in relevant}
    return grades


def _check_ranking(ranking: Sequence[Hashable]) -> None:
    seen = set()
    for doc in ranking:
        if doc in seen:
            raise ValueError(f"the ranking repeats document {doc!r}: each document may appear once")
        seen.add(doc)


def reciprocal_rank(ranking: Sequence[Hashable], relevant: Relevant, k: int = 10) -> float:
    """1 / rank of the first relevant document within the top k (0 when none is)."""
    grades = _grades(relevant)
    for rank, doc in enumerate(list(ranking)[:k], start=1):
        if doc in grades:
            return 1.0 / rank
    return 0.0


def recall(ranking: Sequence[Hashable], relevant: Relevant, k: int) -> float:
    """Fraction of the relevant documents found in the top k."""
    grades = _grades(relevant)
    if not grades:
        raise ValueError("recall is undefined for a query without relevant documents")
    found = sum(1 for doc in list(ranking)[:k] if doc in grades)
    return found / len(grades)


def ndcg(ranking: Sequence[Hashable], relevant: Relevant, k: int = 10) -> float:
    """Normalised discounted cumulative gain at k (linear gain, log2 discount)."""
    grades = _grades(relevant)
    if not grades:
        raise ValueError("nDCG is undefined for a query without relevant documents")
    dcg = sum(grades.get(doc, 0.0) / math.log2(i + 1) for i, doc in enumerate(list(ranking)[:k], start=1))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return dcg / idcg


def evaluate(rankings: Sequence[Sequence[Hashable]], relevant: Sequence[Relevant], ks: Sequence[int] = DEFAULT_KS, mrr_k: int = 10, ndcg_k: int = 10) -> dict[str, float]:
    """Mean MRR@mrr_k, Recall@k for each k in ks, and NDCG@ndcg_k over the queries.

    rankings[i]: the ids returned for query i, best first; relevant[i]: its judgements."""
    rankings, relevant = list(rankings), list(relevant)
    if not rankings:
        raise ValueError("no queries to evaluate")
    if len(rankings) != len(relevant):
        raise ValueError(f"{len(rankings)} rankings but {len(relevant)} relevance judgements: one per query")
    totals = {f"MRR@{mrr_k}": 0.0, **{f"Recall@{k}": 0.0 for k in ks}, f"NDCG@{ndcg_k}": 0.0}
    for i, (ranking, judged) in enumerate(zip(rankings, relevant)):
        ranking = list(ranking)
        _check_ranking(ranking)
        if not _grades(judged):
            raise ValueError(f"query {i} has no relevant document: drop it or judge it")
        totals[f"MRR@{mrr_k}"] += reciprocal_rank(ranking, judged, mrr_k)
        for k in ks:
            totals[f"Recall@{k}"] += recall(ranking, judged, k)
        totals[f"NDCG@{ndcg_k}"] += ndcg(ranking, judged, ndcg_k)
    return {name: total / len(rankings) for name, total in totals.items()}


def rankings_from_scores(scores, k: int = 10) -> list[list[int]]:
    """The top-k document indices of each row of a [n_queries, n_docs] similarity
    matrix (higher is better), best first; ties broken by the lower index."""
    import numpy as np

    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be [n_queries, n_docs], got shape {scores.shape}")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores contain NaN or inf")
    k = min(k, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order.tolist()


def evaluate_embeddings(query_vectors, document_vectors, relevant_index: Sequence[int] | None = None, k: int = 10) -> dict[str, float]:
    """BEIR metrics for paired retrieval: query i's one relevant document is document
    relevant_index[i] (default i), ranked by cosine similarity of normalised embeddings."""
    import numpy as np

    q = np.asarray(query_vectors, dtype=np.float64)
    d = np.asarray(document_vectors, dtype=np.float64)
    if q.ndim != 2 or d.ndim != 2 or q.shape[1] != d.shape[1]:
        raise ValueError(f"query vectors {q.shape} and document vectors {d.shape} must be [n, dim] with the same dim")
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    targets = list(range(len(q))) if relevant_index is None else list(relevant_index)
    rankings = rankings_from_scores(q @ d.T, k=max(k, 10))
    return evaluate(rankings, [{t: 1} for t in targets], ks=(1, 5, 10))
