"""Semantic code search: the chunks of a repository that best match a query, ranked,
each with its path:start-end. Indexes the repository first (incrementally)."""

from __future__ import annotations

from .index import add_repo_arguments, indexed_repo

NAME = "search"
HELP = "semantic code search in a repository: ranked results with path:lines"


def add_arguments(parser):
    parser.add_argument("query", help="what to look for, in words or code")
    parser.add_argument("--repo", required=True, help="the repository (a folder)")
    parser.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    parser.add_argument("--mode", default="auto", choices=["auto", "dense", "bm25", "hybrid"],
                        help="retriever: hybrid is dense + BM25 by reciprocal rank fusion (default auto: hybrid when the "
                             "query names code, such as get_template or Env.load, dense for a question in words)")
    parser.add_argument("--mmr", type=float, default=None, metavar="LAMBDA", help="rerank for diversity with MMR (e.g. 0.7)")
    parser.add_argument("--lines", type=int, default=6, help="lines of each result to show (default 6)")
    add_repo_arguments(parser)


def run(args) -> int:
    qa = indexed_repo(args, args.query, "query")
    if qa is None:
        return 2
    results = qa.search(args.query, k=args.k, mode=args.mode, mmr_lambda=args.mmr)
    if not results:
        print("no results")
        return 1
    for rank, (chunk, score) in enumerate(results, 1):
        name = f" {chunk.symbol}" if chunk.symbol else ""
        print(f"{rank}. {chunk.path}:{chunk.start_line}-{chunk.end_line}{name} [{chunk.language}] score {score:.3f}")
        for line in chunk.text.splitlines()[:args.lines]:
            print(f"     {line}")
    return 0
