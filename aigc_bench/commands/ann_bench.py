"""Vector search benchmark, ann-benchmarks style: every index (ours: brute force,
HNSW in Numba, IVF, LSH; peers: faiss Flat/IVFFlat/HNSW, hnswlib, ChromaDB) is
built on the same data, its search parameter swept, and each setting measured:
recall@10 (with ann-benchmarks' distance epsilon), single-query and batched QPS
on one thread, build time, index memory. Writes the Pareto plot (PNG), the
table (Markdown, CSV) and the target ratios (JSON).

    aigc-bench ann-bench --n 10000 --queries 100          # a quick run (about a minute)
    aigc-bench ann-bench                                  # 100K x 384, the issue's setting
    aigc-bench ann-bench --growth 10000,30000,100000      # build time and QPS against size
"""

from __future__ import annotations

import sys

NAME = "ann-bench"
HELP = "benchmark vector indexes (ours vs faiss, hnswlib, ChromaDB): recall/QPS sweep, Pareto plot and table"


def add_arguments(parser):
    parser.add_argument("--n", type=int, default=100_000, help="corpus size (default 100000)")
    parser.add_argument("--dim", type=int, default=384, help="vector dimension for synthetic data (default 384, MiniLM's)")
    parser.add_argument("--queries", type=int, default=200, help="number of queries (default 200)")
    parser.add_argument("--metric", default="cosine", choices=["l2", "ip", "cosine"], help="distance (default cosine)")
    parser.add_argument("--data", default="clustered", choices=["clustered", "minilm"],
                        help="seeded synthetic clusters, or MiniLM embeddings of real code and docstrings of installed packages")
    parser.add_argument("--algorithms", default=None, help="comma-separated labels to run (default all; e.g. 'ours HNSW (numba),hnswlib')")
    parser.add_argument("--no-chroma", action="store_true", help="leave ChromaDB out (its Python-side adds are slow at 100K)")
    parser.add_argument("--growth", default=None, metavar="SIZES", help="also measure build time and QPS at these corpus sizes, e.g. 10000,30000,100000")
    parser.add_argument("--min-seconds", type=float, default=0.3, help="time each QPS measurement for at least this long (default 0.3)")
    parser.add_argument("--out", default="reports/ann", help="output folder (default reports/ann)")
    parser.add_argument("--seed", type=int, default=0, help="data seed (default 0)")


def minilm_data(n: int, n_queries: int, progress: bool):
    """MiniLM embeddings of function code (corpus) and docstring summaries (queries)
    of installed packages, CodeSearchNet-style."""
    import numpy as np

    from aigc_bench.codesearch import code_pairs
    from aigc_bench.models import MiniLMEmbedder

    pairs = []
    for package in ("networkx", "sympy", "pandas", "sklearn", "scipy", "matplotlib", "rich", "jinja2", "click", "httpx", "requests"):
        try:
            pairs += code_pairs(package)
        except ValueError:
            continue
        if len(pairs) >= n + n_queries:
            break
    if len(pairs) < n_queries + 10:
        raise ValueError(f"only {len(pairs)} documented functions found in the installed packages")
    pairs = pairs[: n + n_queries]
    embedder = MiniLMEmbedder(batch_size=64, progress=progress)
    base = embedder.embed([p.code for p in pairs[n_queries:]])
    queries = embedder.embed([p.query for p in pairs[:n_queries]])
    return np.ascontiguousarray(base), np.ascontiguousarray(queries)


def run(args) -> int:
    if args.n < 100 or args.queries < 1 or args.dim < 1:
        print(f"error: --n must be >= 100 and --queries, --dim >= 1 (got {args.n}, {args.queries}, {args.dim})", file=sys.stderr)
        return 2
    try:
        sizes = [int(s) for s in args.growth.split(",")] if args.growth else []
    except ValueError:
        print(f"error: --growth takes comma-separated integers, got {args.growth!r}", file=sys.stderr)
        return 2
    from suites.week04_vector_search import annbench

    algorithms = None
    if args.algorithms:
        algorithms = [a.strip() for a in args.algorithms.split(",")]
        known = [label for label, *_ in annbench.sweep_plan(args.n)]
        unknown = [a for a in algorithms if a not in known]
        if unknown:
            print(f"error: unknown algorithm(s) {unknown}; choose among {known}", file=sys.stderr)
            return 2
    elif args.no_chroma:
        algorithms = [label for label, *_ in annbench.sweep_plan(args.n) if not label.startswith("ChromaDB")]

    progress = sys.stderr.isatty()  # a bar on a terminal, quiet in logs and CI
    if args.data == "minilm":
        base, queries = minilm_data(args.n, args.queries, progress)
    else:
        base, queries = annbench.clustered(args.n, args.dim, args.queries, seed=args.seed)
    title = f"{args.data} {len(base):,} x {base.shape[1]}, {len(queries)} queries, {args.metric}"
    points = annbench.run_sweep(base, queries, args.metric, algorithms, args.min_seconds, progress)
    growth_rows = annbench.growth(sizes, args.dim, args.queries, args.metric, progress) if sizes else None
    result = annbench.write_outputs(points, args.out, title, growth_rows)
    for t in result["targets"]:
        ratio = "not reached" if t["ratio"] is None else f"{t['ratio']:.2f}x (target {t['target_ratio']:.2f}x)"
        print(f"{t['ours']} vs {t['peer']} at recall {t['recall']}: {ratio}")
    print("wrote " + ", ".join(result["files"]))
    return 0
