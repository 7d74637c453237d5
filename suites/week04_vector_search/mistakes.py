"""Common learner mistakes in the week 4 skills; the suite must fail each one
(`pytest suites/week04_vector_search --impl mistakes`)."""

import heapq

import numpy as np

from impls.numpy import ann_bruteforce, ann_hnsw, ann_ivf, ann_lsh
from impls.numpy.ann_common import as_query, check_k, prepare

from .contract import ann_bruteforce_skill, ann_hnsw_skill, ann_ivf_skill, ann_lsh_skill


@ann_hnsw_skill.mistake("search", "HNSW search without a visited set: a node reached twice is returned twice (duplicate ids)")
def hnsw_search_without_visited_set(index, query, k=10):
    k = check_k(k)
    q = prepare(as_query(query, index.dim)[None, :], index.metric)[0]
    entry = [index.entry]
    for layer in range(index.max_level, 0, -1):
        entry = [ann_hnsw.search_layer(index, q, entry, 1, layer)[0][1]]
    ef = max(index.ef_search, k)
    d0 = float(index.distance(q, entry)[0])
    candidates, results = [(d0, entry[0])], [(-d0, entry[0])]
    while candidates:
        d, node = heapq.heappop(candidates)
        if d > -results[0][0]:
            break
        neighbours = index.links[node][0]  # every neighbour, seen before or not
        for dn, n in zip(index.distance(q, neighbours), neighbours):
            if len(results) < ef or dn < -results[0][0]:
                heapq.heappush(candidates, (float(dn), n))
                heapq.heappush(results, (-float(dn), n))
                if len(results) > ef:
                    heapq.heappop(results)
    found = sorted((-d, n) for d, n in results)[:k]
    return np.array([n for _, n in found], np.int64), np.array([d for d, _ in found], np.float32)


@ann_ivf_skill.mistake("set_search_params", "IVF that ignores nprobe: always probes the default number of lists")
def ivf_ignoring_nprobe(index, **params):
    pass


@ann_lsh_skill.mistake("build", "LSH with a single hash bit per table: buckets hold half the corpus")
def lsh_with_a_single_bit(vectors, metric="l2", **params):
    params.pop("n_bits", None)
    return ann_lsh.build(vectors, metric, n_bits=1, **params)


@ann_bruteforce_skill.mistake("build", "cosine computed without normalising the stored vectors (1 - q.x with |x| != 1, not 1 - cos)")
def cosine_without_normalisation(vectors, metric="l2", **params):
    index = ann_bruteforce.build(vectors, "ip" if metric == "cosine" else metric, **params)
    index.metric = metric  # searches still say cosine, but the stored rows keep their norms
    return index
