"""Retrieval quality of RAG over code, measured on a real installed package.

The evaluation set follows CodeSearchNet (`aigc_bench.codesearch`): each
documented function of the package gives a query (its docstring's summary)
and a target (the function). The indexed corpus is the package's source with
the docstrings of those functions removed, so that a query cannot be found by
its own words. Every chunker x retriever pair indexes the same corpus.

Chunkers cut functions differently (a window may hold two, an AST chunk one),
so results are judged at the level of functions: each retrieved chunk stands
for the function it overlaps most (ties to the innermost), repeated functions
are dropped, and each query has one relevant item, its function. Metrics use
BEIR's definitions (`aigc_bench.retrieval_metrics`); with one relevant item
hit@k is Recall@k.
"""

from __future__ import annotations

import ast
import random
import time
from dataclasses import dataclass, field

import numpy as np

from . import codesearch, retrieval_metrics
from .rag import Chunk, backend_module, line_count

CHUNKERS = ("fixed", "semantic", "ast")
RETRIEVERS = ("dense", "bm25", "hybrid_rrf", "hybrid_weighted")
CANDIDATES = 50  # chunks each retriever ranks before functions are deduplicated


@dataclass
class Query:
    text: str
    path: str
    qualname: str
    start_line: int  # the target function's span in the indexed (docstring-free) text
    end_line: int


@dataclass
class EvalSet:
    package: str
    files: dict[str, str]  # path -> indexed text (target docstrings removed)
    queries: list[Query]
    functions: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)  # path -> (start, end, qualname)

    @property
    def n_lines(self) -> int:
        return sum(line_count(t) for t in self.files.values())


def _function_spans(tree) -> list[tuple[int, int, str, ast.AST]]:
    spans, stack = [], [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                spans.append((start, child.end_lineno, prefix + child.name, child))
                stack.append((prefix + child.name + ".", child))
            elif isinstance(child, ast.ClassDef):
                stack.append((prefix + child.name + ".", child))
    return spans


def _strip_docstrings(source: str, targets: set[tuple[str, int]]) -> str:
    """Delete the docstring lines of the functions named by (qualname, def line). A body
    that was only its docstring (a hook, an abstract method) becomes `...`, so that the
    text still parses."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    replaced: dict[int, str] = {}  # line index -> its new text ("" deletes it)
    for _, _, qualname, node in _function_spans(tree):
        if (qualname, node.lineno) in targets and ast.get_docstring(node) is not None:
            doc = node.body[0]
            for i in range(doc.lineno - 1, doc.end_lineno):
                replaced[i] = ""
            if len(node.body) == 1:
                indent = lines[doc.lineno - 1][: doc.col_offset]
                replaced[doc.lineno - 1] = f"{indent}...\n"
    return "".join(replaced.get(i, line) for i, line in enumerate(lines))


def build_eval_set(package: str, files: list[str] | None = None, max_queries: int | None = None, seed: int = 0) -> EvalSet:
    """The CodeSearchNet-style evaluation set of an installed package; `files` limits it
    to some of its modules (paths as codesearch names them, "click/utils.py")."""
    root = codesearch.package_folder(package)
    pairs = codesearch.code_pairs(package)
    sources = {}
    for file in sorted(root.rglob("*.py")):
        path = file.relative_to(root.parent).as_posix()
        if "test" in file.relative_to(root).as_posix().lower() or (files is not None and path not in files):
            continue
        try:
            text = file.read_text(encoding="utf-8")
            ast.parse(text)
        except (SyntaxError, UnicodeDecodeError):
            continue
        sources[path] = text
    if not sources:
        raise ValueError(f"no Python source of {package!r} matches {files}")
    pairs = [p for p in pairs if p.path in sources]
    targets_by_file: dict[str, set] = {}
    for p in pairs:
        targets_by_file.setdefault(p.path, set()).add((p.qualname, p.lineno))

    indexed, functions, queries = {}, {}, []
    by_key = {(p.path, p.qualname, p.lineno): p for p in pairs}
    for path, text in sources.items():
        stripped = _strip_docstrings(text, targets_by_file.get(path, set()))
        indexed[path] = stripped
        old_spans = _function_spans(ast.parse(text))
        new_spans = _function_spans(ast.parse(stripped))  # same walk order: spans correspond one to one
        functions[path] = [(s, e, q) for s, e, q, _ in new_spans]
        for (_, _, qualname, old_node), (s, e, _, _) in zip(old_spans, new_spans):
            pair = by_key.get((path, qualname, old_node.lineno))
            if pair is not None:
                queries.append(Query(pair.query, path, qualname, s, e))
    if max_queries is not None and len(queries) > max_queries:
        queries = random.Random(seed).sample(queries, max_queries)
    return EvalSet(package, indexed, queries, functions)


# --------------------------------------------------------------------------- chunking and retrieval


def chunk_corpus(eval_set: EvalSet, chunker: str, embed, max_tokens: int = 200, backend: str = "numpy") -> list[Chunk]:
    chunkers = backend_module("chunkers", backend)
    chunks = []
    for path, text in eval_set.files.items():
        document = Chunk(text=text, path=path, language="python", start_line=1, end_line=max(line_count(text), 1), kind="file")
        if chunker == "fixed":
            chunks += chunkers.chunk_fixed(document, max_tokens=max_tokens, overlap=max_tokens // 8)
        elif chunker == "semantic":
            chunks += chunkers.chunk_semantic(document, embed, max_tokens=max_tokens)
        elif chunker == "ast":
            chunks += chunkers.chunk_ast(document, max_tokens=max_tokens)
        else:
            raise ValueError(f"unknown chunker {chunker!r}; choose from {CHUNKERS}")
    return [c for c in chunks if c.text.strip()]


class ChunkRetriever:
    """Dense, BM25 and hybrid rankings over one list of chunks (in memory)."""

    def __init__(self, chunks: list[Chunk], embed, backend: str = "numpy"):
        self.chunks = chunks
        self.embed = embed
        self.retrievers = backend_module("retrievers", backend)
        self.vectors = np.asarray(embed([c.embedding_text for c in chunks]), dtype=np.float32)  # [n, 384]
        tokens = [self.retrievers.code_tokens(f"{c.path} {c.symbol} {c.text}") for c in chunks]
        self.bm25 = self.retrievers.bm25_index(tokens)

    def rank(self, query: str, method: str, k: int = CANDIDATES) -> list[int]:
        r = self.retrievers
        if method == "dense":
            return r.dense_top_k(self.embed([query])[0], self.vectors, k)
        scores = r.bm25_scores(self.bm25, r.code_tokens(query))
        bm25_top = [int(i) for i in np.argsort(-scores, kind="stable")[:k]]
        if method == "bm25":
            return bm25_top
        dense_top = r.dense_top_k(self.embed([query])[0], self.vectors, k)
        if method == "hybrid_rrf":
            return list(r.reciprocal_rank_fusion([dense_top, bm25_top]))[:k]
        if method == "hybrid_weighted":
            q = self.embed([query])[0]
            dense_scores = {i: float(self.vectors[i] @ q) for i in dense_top}
            return list(r.weighted_fusion([dense_scores, {i: float(scores[i]) for i in bm25_top}], [0.5, 0.5]))[:k]
        raise ValueError(f"unknown retriever {method!r}; choose from {RETRIEVERS}")


def function_of(chunk: Chunk, functions: list[tuple[int, int, str]]) -> str:
    """The function a chunk stands for: the one it overlaps most, ties to the innermost;
    a chunk outside every function stands for itself."""
    best, best_key = None, (0, 0)
    for start, end, qualname in functions:
        overlap = min(end, chunk.end_line) - max(start, chunk.start_line) + 1
        key = (overlap, -(end - start))
        if overlap > 0 and key > best_key:
            best, best_key = qualname, key
    return f"{chunk.path}::{best}" if best else f"{chunk.path}:{chunk.start_line}-{chunk.end_line}"


def function_ranking(ranked_chunks: list[Chunk], eval_set: EvalSet) -> list[str]:
    """The functions the ranked chunks stand for, best first, each once."""
    ranking = []
    for chunk in ranked_chunks:
        f = function_of(chunk, eval_set.functions.get(chunk.path, []))
        if f not in ranking:
            ranking.append(f)
    return ranking


def relevant_function(query: Query) -> str:
    return f"{query.path}::{query.qualname}"


def score_rankings(eval_set: EvalSet, rankings: list[list[str]]) -> dict:
    """hit@1, hit@5, MRR@10, nDCG@10 of function rankings (one per query)."""
    m = retrieval_metrics.evaluate(rankings, [{relevant_function(q): 1} for q in eval_set.queries], ks=(1, 5), mrr_k=10, ndcg_k=10)
    return {"hit@1": m["Recall@1"], "hit@5": m["Recall@5"], "MRR@10": m["MRR@10"], "nDCG@10": m["NDCG@10"]}


def evaluate_ranker(eval_set: EvalSet, rank_chunks) -> dict:
    """The metrics of any `rank_chunks(query) -> [Chunk]` (a LangChain retriever through
    `aigc_bench.rag_langchain.langchain_ranker`, a GraphRAG expansion, an agent)."""
    return score_rankings(eval_set, [function_ranking(list(rank_chunks(q.text)), eval_set) for q in eval_set.queries])


def evaluate(eval_set: EvalSet, embed, chunkers=CHUNKERS, retrievers=RETRIEVERS, max_tokens: int = 200, backend: str = "numpy") -> list[dict]:
    """One row per chunker x retriever: hit@1, hit@5, MRR@10, nDCG@10, chunk count."""
    rows = []
    for chunker in chunkers:
        t0 = time.perf_counter()
        chunks = chunk_corpus(eval_set, chunker, embed, max_tokens, backend)
        retriever = ChunkRetriever(chunks, embed, backend)
        index_seconds = time.perf_counter() - t0
        for method in retrievers:
            metrics = evaluate_ranker(eval_set, lambda query: [chunks[i] for i in retriever.rank(query, method)])
            rows.append({
                "embedder": getattr(embed, "name", "caller's"), "chunker": chunker, "retriever": method, **metrics, "chunks": len(chunks),
                "index_seconds": index_seconds,  # chunking + embedding (the first row also loads MiniLM)
            })
    return rows


def format_table(rows: list[dict], eval_set: EvalSet) -> str:
    head = f"{eval_set.package}: {len(eval_set.files)} files, {eval_set.n_lines} lines, {len(eval_set.queries)} queries\n"
    lines = ["| embedder | chunker | retriever | hit@1 | hit@5 | MRR@10 | nDCG@10 | chunks |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['embedder']} | {r['chunker']} | {r['retriever']} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['MRR@10']:.3f} | {r['nDCG@10']:.3f} | {r['chunks']} |")
    return head + "\n".join(lines)
