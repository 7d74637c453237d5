"""Hierarchical Navigable Small World graphs (Malkov & Yashunin, 2016), readable version.

Every vector is a node on layers 0..level, level drawn as floor(-ln(U) / ln(M))
so each layer up holds ~1/M of the one below. Layer 0 links each node to up to
2M neighbours, higher layers to M. A search enters at the top, walks greedily
down to layer 1, then runs a best-first beam of width ef on layer 0.

    index = build(x, "cosine", M=16, ef_construction=100)
    set_search_params(index, ef_search=64)   # wider beam: higher recall, slower

This is the plain-Python reference (heapq and a visited set, NumPy for each
neighbour list's distances); impls/numba/ann_hnsw.py is the same algorithm
compiled, for speed.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from .ann_common import as_matrix, as_query, batch_by_search, check_k, check_metric, check_params, positive_int, prepare


class HNSWIndex:
    def __init__(self, dim: int, metric: str, M: int, ef_construction: int, seed: int):
        self.dim, self.metric = dim, metric
        self.M, self.M0 = M, 2 * M  # max links per node on layers >= 1 and on layer 0
        self.ef_construction, self.ef_search = ef_construction, 64
        self.level_mult = 1.0 / math.log(M)
        self.rng = np.random.default_rng(seed)
        self.vectors = np.empty((0, dim), np.float32)  # [n, d]
        self.links: list[list[list[int]]] = []  # links[node][layer] -> neighbour ids
        self.entry, self.max_level = -1, -1
        self.dist_comps = 0
        self.counting = False  # count distance computations of searches, not of the build

    def distance(self, q: np.ndarray, ids) -> np.ndarray:
        """Contract distances from q [d] to the nodes `ids` [m]."""
        x = self.vectors[ids]  # [m, d]
        if self.counting:
            self.dist_comps += len(ids)
        if self.metric == "l2":
            diff = x - q
            return np.einsum("md,md->m", diff, diff)
        return 1.0 - x @ q


def search_layer(index: HNSWIndex, q: np.ndarray, entries: list[int], ef: int, layer: int) -> list[tuple[float, int]]:
    """Best-first search of one layer from `entries`: the ef nearest nodes found, as (distance, id), nearest first."""
    visited = set(entries)
    entry_d = index.distance(q, entries)
    candidates = [(float(d), e) for d, e in zip(entry_d, entries)]  # min-heap: next node to expand
    heapq.heapify(candidates)
    results = [(-d, e) for d, e in candidates]  # max-heap (negated): the ef best so far
    heapq.heapify(results)
    while len(results) > ef:
        heapq.heappop(results)
    while candidates:
        d, node = heapq.heappop(candidates)
        if d > -results[0][0]:
            break  # the nearest unexpanded candidate is farther than the worst result: done
        fresh = [n for n in index.links[node][layer] if n not in visited]
        if not fresh:
            continue
        visited.update(fresh)
        for dn, n in zip(index.distance(q, fresh), fresh):
            dn = float(dn)
            if len(results) < ef or dn < -results[0][0]:
                heapq.heappush(candidates, (dn, n))
                heapq.heappush(results, (-dn, n))
                if len(results) > ef:
                    heapq.heappop(results)
    return sorted((-d, n) for d, n in results)


def select_neighbours(index: HNSWIndex, candidates: list[tuple[float, int]], m: int) -> list[int]:
    """The paper's heuristic (algorithm 4): keep a candidate only if it is nearer to the
    new node than to every neighbour already kept, so links spread in all directions."""
    if len(candidates) <= 1:
        return [c for _, c in candidates]
    ids = [c for _, c in candidates]  # nearest first
    x = index.vectors[ids]  # [c, d]
    if index.metric == "l2":
        sq = np.einsum("cd,cd->c", x, x)
        between = sq[:, None] - 2.0 * x @ x.T + sq[None, :]  # [c, c] candidate-to-candidate
    else:
        between = 1.0 - x @ x.T
    kept: list[int] = []  # positions in `candidates`
    for i, (d, _) in enumerate(candidates):
        if len(kept) >= m:
            break
        if all(between[i, j] > d for j in kept):
            kept.append(i)
    return [ids[i] for i in kept]


def insert(index: HNSWIndex, node: int) -> None:
    q = index.vectors[node]
    level = int(-math.log(1.0 - index.rng.random()) * index.level_mult)
    index.links.append([[] for _ in range(level + 1)])
    if index.entry < 0:
        index.entry, index.max_level = node, level
        return
    entry = [index.entry]
    for layer in range(index.max_level, level, -1):  # greedy descent above the node's top layer
        entry = [search_layer(index, q, entry, 1, layer)[0][1]]
    for layer in range(min(level, index.max_level), -1, -1):
        found = search_layer(index, q, entry, index.ef_construction, layer)
        neighbours = select_neighbours(index, found, index.M)
        index.links[node][layer] = neighbours
        max_links = index.M0 if layer == 0 else index.M
        for n in neighbours:  # link back; a neighbour with too many links keeps its best
            links = index.links[n][layer]
            links.append(node)
            if len(links) > max_links:
                d = index.distance(index.vectors[n], links)
                index.links[n][layer] = select_neighbours(index, sorted(zip(d.tolist(), links)), max_links)
        entry = [n for _, n in found]
    if level > index.max_level:
        index.entry, index.max_level = node, level


def build(vectors, metric="l2", **params):
    x = as_matrix(vectors)
    p = check_params(params, {"M": 16, "ef_construction": 100, "seed": 0}, "build")
    if p["M"] < 2 or p["ef_construction"] < 1:
        raise ValueError(f"M must be >= 2 and ef_construction >= 1, got {p['M']} and {p['ef_construction']}")
    index = HNSWIndex(x.shape[1], check_metric(metric), p["M"], p["ef_construction"], p["seed"])
    add(index, x)
    return index


def add(index, vectors):
    x = prepare(as_matrix(vectors, index.dim), index.metric)
    first = len(index.vectors)
    index.vectors = np.concatenate([index.vectors, x])
    for node in range(first, len(index.vectors)):
        insert(index, node)


def search(index, query, k=10):
    k = check_k(k)
    q = prepare(as_query(query, index.dim)[None, :], index.metric)[0]
    index.counting = True
    try:
        entry = [index.entry]
        for layer in range(index.max_level, 0, -1):
            entry = [search_layer(index, q, entry, 1, layer)[0][1]]
        found = search_layer(index, q, entry, max(index.ef_search, k), 0)[:k]
    finally:
        index.counting = False
    return np.array([n for _, n in found], np.int64), np.array([d for d, _ in found], np.float32)


def batch_search(index, queries, k=10):
    return batch_by_search(search, index, queries, k, len(index.vectors), index.dim)


def set_search_params(index, **params):
    p = check_params(params, {"ef_search": index.ef_search}, "search")
    index.ef_search = positive_int(p["ef_search"], "ef_search")


def memory_bytes(index):
    links = sum(len(layer) for node in index.links for layer in node)
    return int(index.vectors.nbytes + 4 * links)  # 4 bytes a link, as a C implementation stores them


def distance_computations(index):
    return index.dist_comps
