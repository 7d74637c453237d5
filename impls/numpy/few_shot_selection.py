"""Few-shot example selection: fixed, seeded random, by embedding similarity; and generation
of a covering, typical example set from a labelled pool."""

import numpy as np


def _unit(vectors):
    v = np.asarray(vectors, dtype=np.float64)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def select_examples(pool, k, method="fixed", query=None, embed=None, seed=0):
    if k < 0:
        raise ValueError(f"k must be non-negative, got {k}")
    k = min(k, len(pool))
    if method == "fixed":
        return list(pool[:k])
    if method == "random":
        picks = np.random.default_rng(seed).choice(len(pool), size=k, replace=False)
        return [pool[i] for i in picks]
    if method == "similar":
        if query is None or embed is None:
            raise ValueError("method 'similar' needs query= and embed=")
        vectors = _unit(embed([source for source, _ in pool] + [query]))  # [n+1, d]
        similarity = vectors[:-1] @ vectors[-1]  # [n]
        order = np.argsort(-similarity, kind="stable")[:k]
        return [pool[i] for i in order]
    raise ValueError(f"unknown selection method {method!r}: use fixed, random or similar")


def generate_examples(pool, k, embed):
    by_label = {}
    for i, (_, label) in enumerate(pool):
        by_label.setdefault(label, []).append(i)
    vectors = _unit(embed([source for source, _ in pool]))
    queues = {}
    for label, members in by_label.items():
        sims = vectors[members] @ vectors[members].T  # [m, m]
        typicality = (sims.sum(axis=1) - 1.0) / max(len(members) - 1, 1)
        queues[label] = [members[j] for j in np.argsort(-typicality, kind="stable")]
    chosen = []
    while len(chosen) < min(k, len(pool)):
        for label in sorted(queues, key=str):
            if queues[label] and len(chosen) < k:
                chosen.append(pool[queues[label].pop(0)])
    return chosen
