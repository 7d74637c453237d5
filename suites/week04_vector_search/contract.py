"""Contracts of the week 4 skills (roadmap Day 22-28: embeddings and vector search).

Embeddings: `embed(texts)` returns float32 [n, d], each row L2-normalised.

Vector indexes (ann-benchmarks style): four skills, one per algorithm, with the
same six functions. An index is an opaque object (a class instance, not a dict
or list) made by `build` and passed to the others:

    index = build(vectors, metric="cosine", **params)   # ids 0..n-1 in row order
    add(index, more)                                     # ids n..n+m-1
    ids, dist = search(index, query, k)                  # one query
    ids, dist = batch_search(index, queries, k)          # many queries
    set_search_params(index, ef_search=64)               # speed/recall knob
    memory_bytes(index); distance_computations(index)

Metrics and the distances they report (ascending: nearest first), as ChromaDB
and hnswlib report them:

    "l2"      squared Euclidean distance  ||q - x||^2
    "ip"      1 - <q, x>
    "cosine"  1 - <q, x> / (||q|| ||x||)

Vectors are float32 or float64 arrays [n, d] (any layout); an index computes in
float32. Bad input raises ValueError naming the problem: an empty corpus, a
query whose dimension differs from the index's, NaN/inf values, k < 1, an
unknown metric or parameter.
"""

from aigc_bench.contract import Skill

METRICS = ("l2", "ip", "cosine")

# ---------------------------------------------------------------------------- embeddings

embedding_skill = Skill(
    "embedding",
    weeks=(4,),
    summary="sentence embeddings: embed(texts) -> normalised float32 [n, d]",
    roadmap="Day 22-24: embeddings, their quality (MRR, recall, nDCG), fine-tuning",
)


@embedding_skill.function
def embed(texts):
    """Embed a list of strings: returns float32 [len(texts), d], every row of L2 norm 1.

    The same text gets the same vector whether it is embedded alone or in a
    batch with others (batching is an implementation detail), and the rows come
    back in the caller's order. An empty list gives an array [0, d]. Raises
    TypeError when an item is not a string.
    """
    raise NotImplementedError


# ---------------------------------------------------------------------------- vector indexes

# The parameters each algorithm takes in build(**params) / set_search_params(**params),
# their defaults, and the recall@10 an implementation must reach at its defaults on the
# suite's data: `recall_floor` on 1,000 clustered vectors (d=32), `text_recall_floor` on
# MiniLM embeddings of real text (a small corpus without cluster structure: IVF's and
# LSH's cells cut through neighbourhoods there).
ALGORITHMS = {
    "ann_bruteforce": {
        "summary": "exact search: blocked matrix product with a partial top-k",
        "build": {},
        "search": {},
        "recall_floor": 1.0,
        "text_recall_floor": 1.0,
    },
    "ann_lsh": {
        "summary": "locality-sensitive hashing: random hyperplanes, several tables",
        "build": {"n_tables": "16", "n_bits": "about log2(n / 16): buckets of ~16 vectors", "seed": "0"},
        "search": {"n_tables": "how many of the tables a query looks up (default all)"},
        "recall_floor": 0.6,
        "text_recall_floor": 0.5,
    },
    "ann_hnsw": {
        "summary": "hierarchical navigable small world graph",
        "build": {"M": "16", "ef_construction": "100", "seed": "0"},
        "search": {"ef_search": "64 (clamped to at least k)"},
        "recall_floor": 0.9,
        "text_recall_floor": 0.9,
    },
    "ann_ivf": {
        "summary": "inverted file: k-means coarse quantizer, nlist lists, nprobe probed",
        "build": {"nlist": "round(sqrt(n))", "n_iter": "20", "seed": "0"},
        "search": {"nprobe": "max(1, nlist // 8)"},
        "recall_floor": 0.8,
        "text_recall_floor": 0.5,
    },
}


def build(vectors, metric="l2", **params):
    """Build an index over `vectors` [n, d] (ids 0..n-1) for `metric` ("l2", "ip",
    "cosine"; see the module docstring) with the algorithm's parameters (contract.ALGORITHMS).
    Returns an opaque index object. Raises ValueError on an empty corpus, NaN/inf,
    an unknown metric or an unknown parameter."""
    raise NotImplementedError


def add(index, vectors):
    """Add `vectors` [m, d] to the index; they get the ids n..n+m-1 after the n already
    indexed. Raises ValueError when d differs from the index's dimension or on NaN/inf."""
    raise NotImplementedError


def search(index, query, k=10):
    """The (up to) k nearest indexed vectors to `query` [d]: returns (ids int64 [m],
    distances float32 [m]) with m <= min(k, n), nearest first, no id twice. An
    approximate index may return fewer than k when it found fewer candidates."""
    raise NotImplementedError


def batch_search(index, queries, k=10):
    """search for each row of `queries` [q, d]: returns (ids int64 [q, min(k, n)],
    distances float32 [q, min(k, n)]); rows with fewer results are padded at the
    end with id -1 and distance inf."""
    raise NotImplementedError


def set_search_params(index, **params):
    """Change the search-time parameters (contract.ALGORITHMS[...]["search"]), e.g.
    ef_search for HNSW, nprobe for IVF. Raises ValueError for an unknown parameter
    or an invalid value. Returns None."""
    raise NotImplementedError


def memory_bytes(index):
    """The bytes the index holds (vectors, graph, tables, lists), as an int."""
    raise NotImplementedError


def distance_computations(index):
    """How many query-to-vector distances searches have computed since the index was
    built (ann-benchmarks' `dist_comps`): a measure of work independent of timing."""
    raise NotImplementedError


def _ann_skill(name: str, spec: dict) -> Skill:
    skill = Skill(
        name,
        weeks=(4,),
        summary=spec["summary"],
        roadmap="Day 25-28: vector search algorithms (speed vs accuracy, memory, build time)",
        # peers (faiss, hnswlib, ChromaDB) may not count distance computations
        optional=() if name == "ann_lsh" else ("distance_computations",),
    )
    for stub in (build, add, search, batch_search, set_search_params, memory_bytes):
        skill.function(stub)
    if name == "ann_lsh":  # the suite checks that LSH looks at a fraction of the corpus
        skill.function(distance_computations)
    return skill


ann_bruteforce_skill = _ann_skill("ann_bruteforce", ALGORITHMS["ann_bruteforce"])
ann_lsh_skill = _ann_skill("ann_lsh", ALGORITHMS["ann_lsh"])
ann_hnsw_skill = _ann_skill("ann_hnsw", ALGORITHMS["ann_hnsw"])
ann_ivf_skill = _ann_skill("ann_ivf", ALGORITHMS["ann_ivf"])
