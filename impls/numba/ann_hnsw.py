"""HNSW compiled with Numba: the algorithm of impls/numpy/ann_hnsw.py with flat arrays.

Layout (what a C implementation would hold):
  vectors   float32 [cap, d]           (unit rows for cosine)
  links0    int32   [cap, 2M]          layer-0 neighbours, count0[node] of them valid
  slot      int32   [cap]              row in links_up of a node with level >= 1, else -1
  links_up  int32   [slots, L, M]      neighbours on layers 1..L, count_up[slot, layer-1] valid
  visited   uint32  [cap]              visited[node] == tag means seen in the current search
                                       (a new tag per search: no clearing)
  cand_d    float32 [cap + 1]          the candidate heap of a layer search (distances, ids):
  cand_i    int32   [cap + 1]          scratch kept on the index, as allocating 8 bytes per
                                       node costs a query more than a small search
Heaps are arrays with a size (binary min-heaps; the result heap stores negated
distances so its top is the worst result). Insertion and search loops run
entirely in compiled code; `cache=True` keeps the machine code between runs.

Speed on 100K x 384: distances must compile to SIMD (see _distance); the rest is
memory latency (a vector is 24 cache lines, most not in cache), so a layer search
prefetches all unseen neighbours' vectors before computing their distances, as
hnswlib does with _mm_prefetch. Per-call costs matter at ~100 us a query: queries
are normalised in compiled code, and a single query that is already a finite
float32 vector skips the shared (converting) input checks.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from impls.numpy.ann_common import as_matrix, as_query, check_k, check_metric, check_params, positive_int, prepare

MAX_LEVELS = 16  # level 0 plus up to 15 upper layers (P(level >= 15) = M^-15: never)
L2, IP = 0, 1


# Not inline="always": Numba's own inlining compiles the body with the caller's flags, and
# without fastmath the sum stays scalar (search was ~1.8x slower at 100K x 384). Left to
# LLVM, the call is still inlined but keeps this function's fast-math flags: an AVX loop.
@njit(cache=True, fastmath=True)
def _distance(a, b, metric):
    s = np.float32(0.0)
    if metric == L2:
        for i in range(a.shape[0]):
            t = a[i] - b[i]
            s += t * t
        return s
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return np.float32(1.0) - s


# the intrinsic's name carries its pointer type: "p0" once LLVM has only opaque pointers (17+)
_PREFETCH = "llvm.prefetch.p0" if llvm_version_info[0] >= 17 else "llvm.prefetch.p0i8"


@intrinsic
def _prefetch(typingctx, rows, i, j):
    """Hint the CPU to load the cache line holding rows[i, j] (llvm.prefetch: read, keep in all cache levels)."""

    def codegen(context, builder, signature, args):
        rows_type = signature.args[0]
        array = context.make_array(rows_type)(context, builder, args[0])
        index = [context.cast(builder, v, t, types.intp) for v, t in zip(args[1:], signature.args[1:])]
        pointer = cgutils.get_item_pointer(context, builder, rows_type, array, index)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), _PREFETCH)
        builder.call(fn, [builder.bitcast(pointer, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(rows, i, j), codegen


@njit(cache=True, inline="always")
def _prefetch_row(X, i):
    for j in range(0, X.shape[1], 16):  # 16 float32 = one 64-byte line
        _prefetch(X, i, j)


@njit(cache=True, inline="always")
def _push(hd, hi, size, d, i):
    pos = size
    hd[pos], hi[pos] = d, i
    while pos > 0:
        parent = (pos - 1) >> 1
        if hd[parent] <= hd[pos]:
            break
        hd[parent], hd[pos] = hd[pos], hd[parent]
        hi[parent], hi[pos] = hi[pos], hi[parent]
        pos = parent
    return size + 1


@njit(cache=True, inline="always")
def _pop(hd, hi, size):
    """Remove the top (the caller read it first); returns the new size."""
    size -= 1
    hd[0], hi[0] = hd[size], hi[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and hd[child + 1] < hd[child]:
            child += 1
        if hd[pos] <= hd[child]:
            break
        hd[child], hd[pos] = hd[pos], hd[child]
        hi[child], hi[pos] = hi[pos], hi[child]
        pos = child
    return size


@njit(cache=True)
def _search_layer(X, q, entry, ef, layer, links0, count0, slot, links_up, count_up, visited, tag, metric, cd, ci, rd, ri):
    """Best-first beam search of one layer; the nr results are in (rd, ri) as a heap of
    negated distances. Returns (nr, distance computations)."""
    visited[entry] = tag
    d = _distance(q, X[entry], metric)
    nc = _push(cd, ci, 0, d, entry)
    nr = _push(rd, ri, 0, -d, entry)
    computed = 1
    while nc > 0:
        d_c, c = cd[0], ci[0]
        nc = _pop(cd, ci, nc)
        if d_c > -rd[0]:
            break  # the nearest candidate is farther than the worst result
        if layer == 0:
            count, row = count0[c], links0[c]
        else:
            count, row = count_up[slot[c], layer - 1], links_up[slot[c], layer - 1]
        # Ask for every unseen neighbour's whole vector before computing any distance: the
        # loads then overlap (a vector is 24 cache lines, mostly not in cache for 100K x 384),
        # instead of each distance waiting for its own misses. Prefetching only each vector's
        # first line, or only the next neighbour's (hnswlib's way), gained much less here.
        for j in range(count):
            if visited[row[j]] != tag:
                _prefetch_row(X, row[j])
        for j in range(count):
            n = row[j]
            if visited[n] == tag:
                continue
            visited[n] = tag
            dn = _distance(q, X[n], metric)
            computed += 1
            if nr < ef or dn < -rd[0]:
                nc = _push(cd, ci, nc, dn, n)
                nr = _push(rd, ri, nr, -dn, n)
                if nr > ef:
                    nr = _pop(rd, ri, nr)
    return nr, computed


@njit(cache=True)
def _select(X, ids, dists, n, m, metric, out):
    """The paper's heuristic: keep a candidate (nearest first) only if it is nearer to the
    base node than to every neighbour kept so far. Returns how many were kept in out."""
    kept = 0
    for a in range(n):
        if kept >= m:
            break
        good = True
        for b in range(kept):
            if _distance(X[ids[a]], X[out[b]], metric) < dists[a]:
                good = False
                break
        if good:
            out[kept] = ids[a]
            kept += 1
    return kept


@njit(cache=True)
def _insert_range(X, start, end, levels, entry, max_level, M, ef_construction, metric,
                  links0, count0, slot, links_up, count_up, visited, tag, cd, ci):
    """Insert nodes start..end-1 (vectors and levels already in place). Returns (entry, max_level, tag)."""
    rd = np.empty(ef_construction + 2, np.float32)
    ri = np.empty(ef_construction + 2, np.int32)
    sd = np.empty(ef_construction + 2, np.float32)
    si = np.empty(ef_construction + 2, np.int32)
    chosen = np.empty(2 * M + 1, np.int32)
    tmp_i = np.empty(2 * M + 1, np.int32)
    tmp_d = np.empty(2 * M + 1, np.float32)
    for node in range(start, end):
        level = levels[node]
        if entry < 0:
            entry, max_level = node, level
            continue
        q = X[node]
        ep = entry
        for layer in range(max_level, level, -1):  # greedy descent
            tag += 1
            nr, _ = _search_layer(X, q, ep, 1, layer, links0, count0, slot, links_up, count_up, visited, tag, metric, cd, ci, rd, ri)
            ep = ri[0]
        for layer in range(min(level, max_level), -1, -1):
            tag += 1
            nr, _ = _search_layer(X, q, ep, ef_construction, layer, links0, count0, slot, links_up, count_up, visited, tag, metric, cd, ci, rd, ri)
            order = np.argsort(-rd[:nr])  # nearest first
            for j in range(nr):
                sd[j], si[j] = -rd[order[j]], ri[order[j]]
            kept = _select(X, si, sd, nr, M, metric, chosen)
            max_links = 2 * M if layer == 0 else M
            if layer == 0:
                count0[node] = kept
                links0[node, :kept] = chosen[:kept]
            else:
                count_up[slot[node], layer - 1] = kept
                links_up[slot[node], layer - 1, :kept] = chosen[:kept]
            for j in range(kept):  # link back; an overfull neighbour keeps its best links
                n = chosen[j]
                if layer == 0:
                    count, row = count0[n], links0[n]
                else:
                    count, row = count_up[slot[n], layer - 1], links_up[slot[n], layer - 1]
                if count < max_links:
                    row[count] = node
                    new_count = count + 1
                else:
                    for t in range(count):
                        tmp_i[t], tmp_d[t] = row[t], _distance(X[n], X[row[t]], metric)
                    tmp_i[count], tmp_d[count] = node, _distance(X[n], q, metric)
                    order2 = np.argsort(tmp_d[: count + 1])
                    sorted_i = tmp_i[: count + 1][order2].copy()
                    sorted_d = tmp_d[: count + 1][order2].copy()
                    new_count = _select(X, sorted_i, sorted_d, count + 1, max_links, metric, row)
                if layer == 0:
                    count0[n] = new_count
                else:
                    count_up[slot[n], layer - 1] = new_count
            ep = si[0]
        if level > max_level:
            entry, max_level = node, level
    return entry, max_level, tag


@njit(cache=True)
def _search_many(X, Q, k, ef, entry, max_level, metric, normalise, links0, count0, slot, links_up, count_up, visited, tag, cd, ci):
    """k nearest of each query row (normalised here for cosine): (ids [nq, k] padded with -1,
    dists, tag, distance computations)."""
    nq = Q.shape[0]
    ids = np.full((nq, k), -1, np.int64)
    dists = np.full((nq, k), np.inf, np.float32)
    ef = max(ef, k)
    rd = np.empty(ef + 2, np.float32)
    ri = np.empty(ef + 2, np.int32)
    q = np.empty(Q.shape[1], np.float32)
    computed = 0
    for qi in range(nq):
        q[:] = Q[qi]
        if normalise:  # as ann_common.normalise: a zero query stays zero
            norm = np.float32(np.sqrt(np.sum(q * q)))
            if norm > 0:
                q /= norm
        ep = entry
        for layer in range(max_level, 0, -1):
            tag += 1
            nr, c = _search_layer(X, q, ep, 1, layer, links0, count0, slot, links_up, count_up, visited, tag, metric, cd, ci, rd, ri)
            computed += c
            ep = ri[0]
        tag += 1
        nr, c = _search_layer(X, q, ep, ef, 0, links0, count0, slot, links_up, count_up, visited, tag, metric, cd, ci, rd, ri)
        computed += c
        order = np.argsort(-rd[:nr])
        for j in range(min(k, nr)):
            ids[qi, j] = ri[order[j]]
            dists[qi, j] = -rd[order[j]]
    return ids, dists, tag, computed


class HNSWIndex:
    def __init__(self, dim: int, metric: str, M: int, ef_construction: int, seed: int):
        self.dim, self.metric, self.code = dim, metric, L2 if metric == "l2" else IP
        self.M, self.ef_construction, self.ef_search = M, ef_construction, 64
        self.level_mult = 1.0 / math.log(M)
        self.rng = np.random.default_rng(seed)
        self.n, self.entry, self.max_level, self.tag = 0, -1, -1, 0
        self.dist_comps = 0
        self.vectors = np.empty((0, dim), np.float32)
        self.levels = np.empty(0, np.int32)
        self.links0 = np.empty((0, 2 * M), np.int32)
        self.count0 = np.empty(0, np.int32)
        self.slot = np.empty(0, np.int32)
        self.links_up = np.empty((0, MAX_LEVELS - 1, M), np.int32)
        self.count_up = np.empty((0, MAX_LEVELS - 1), np.int32)
        self.visited = np.empty(0, np.uint32)
        self.cand_d = np.empty(1, np.float32)
        self.cand_i = np.empty(1, np.int32)


def _grow(index: HNSWIndex, x: np.ndarray) -> None:
    """Append m vectors with their random levels, growing every array."""
    m = len(x)
    levels = np.minimum((-np.log(1.0 - index.rng.random(m)) * index.level_mult).astype(np.int32), MAX_LEVELS - 1)
    upper = levels > 0
    slots = np.full(m, -1, np.int32)
    slots[upper] = len(index.links_up) + np.arange(int(upper.sum()), dtype=np.int32)
    index.vectors = np.concatenate([index.vectors, x])
    index.levels = np.concatenate([index.levels, levels])
    index.links0 = np.concatenate([index.links0, np.zeros((m, 2 * index.M), np.int32)])
    index.count0 = np.concatenate([index.count0, np.zeros(m, np.int32)])
    index.slot = np.concatenate([index.slot, slots])
    index.links_up = np.concatenate([index.links_up, np.zeros((int(upper.sum()), MAX_LEVELS - 1, index.M), np.int32)])
    index.count_up = np.concatenate([index.count_up, np.zeros((int(upper.sum()), MAX_LEVELS - 1), np.int32)])
    index.visited = np.zeros(len(index.vectors), np.uint32)
    index.cand_d = np.empty(len(index.vectors) + 1, np.float32)
    index.cand_i = np.empty(len(index.vectors) + 1, np.int32)
    index.tag = 0


def build(vectors, metric="l2", **params):
    x = as_matrix(vectors)
    p = check_params(params, {"M": 16, "ef_construction": 100, "seed": 0}, "build")
    if p["M"] < 2 or p["ef_construction"] < 1:
        raise ValueError(f"M must be >= 2 and ef_construction >= 1, got {p['M']} and {p['ef_construction']}")
    index = HNSWIndex(x.shape[1], check_metric(metric), int(p["M"]), int(p["ef_construction"]), p["seed"])
    add(index, x)
    return index


def add(index, vectors):
    x = prepare(as_matrix(vectors, index.dim), index.metric)
    start = index.n
    _grow(index, x)
    index.entry, index.max_level, index.tag = _insert_range(
        index.vectors, start, start + len(x), index.levels, index.entry, index.max_level, index.M, index.ef_construction,
        index.code, index.links0, index.count0, index.slot, index.links_up, index.count_up, index.visited, np.uint32(index.tag),
        index.cand_d, index.cand_i,
    )
    index.n += len(x)


def _search_rows(index, q: np.ndarray, k: int):
    """Search float32 C-contiguous finite rows q [nq, dim]."""
    ids, dists, index.tag, computed = _search_many(
        index.vectors, q, min(k, index.n), index.ef_search, index.entry, index.max_level, index.code, index.metric == "cosine",
        index.links0, index.count0, index.slot, index.links_up, index.count_up, index.visited, np.uint32(index.tag),
        index.cand_d, index.cand_i,
    )
    index.dist_comps += computed
    return ids, dists


def search(index, query, k=10):
    q = np.asarray(query)
    # the common case is checked in ~2 us (a search takes ~100 us at 100K x 384); anything
    # else goes through the shared check, which converts it or raises its clear error
    if not (q.dtype == np.float32 and q.shape == (index.dim,) and q.flags.c_contiguous and np.isfinite(q).all()):
        q = as_query(query, index.dim)
    ids, dists = _search_rows(index, q[None, :], check_k(k))
    found = ids[0] >= 0
    return ids[0][found], dists[0][found]


def batch_search(index, queries, k=10):
    return _search_rows(index, as_matrix(queries, index.dim, "queries"), check_k(k))


def set_search_params(index, **params):
    p = check_params(params, {"ef_search": index.ef_search}, "search")
    index.ef_search = positive_int(p["ef_search"], "ef_search")


def memory_bytes(index):
    arrays = (index.vectors, index.levels, index.links0, index.count0, index.slot, index.links_up, index.count_up, index.visited, index.cand_d, index.cand_i)
    return int(sum(a.nbytes for a in arrays))


def distance_computations(index):
    return index.dist_comps
