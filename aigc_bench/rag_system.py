"""The code question-answering system (roadmap milestone: index a code base in 10+
languages, semantic code search, answers with cited snippets), assembled from a
backend's skill modules (the NumPy references by default).

    qa = CodeQA("path/to/repo")
    qa.index()                                   # incremental: only changed files
    qa.search("where are tokens counted", k=5)   # [(Chunk, score)], best first
    qa.ask("how is the index updated?")          # Answer with cited snippets

The index lives in `<repo>/.aigc-bench-index` unless told otherwise. `ask` calls
an OpenAI-compatible endpoint when OPENAI_BASE_URL is set (model from
AIGC_BENCH_LLM_MODEL or the argument); otherwise it gives an extractive answer,
labelled as such.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .rag import DEFAULT_CHUNK_TOKENS, Chunk, backend_module, line_count

INDEX_DIRNAME = ".aigc-bench-index"
SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", "build", "dist", INDEX_DIRNAME}
MODES = ("auto", "dense", "bm25", "hybrid")
EMBEDDER_RECORD = "embedder.json"  # in the index folder: which model made its vectors
# An identifier as code spells it: snake_case, dotted.name, camelCase, or a call `name(`.
_CODE_WORD = re.compile(r"\b[A-Za-z]\w*_\w+|\b[A-Za-z_]\w*\.[A-Za-z_]\w*|\b[a-z][a-z0-9]*[A-Z]\w*|\b\w+\(")


def looks_like_code(query: str) -> bool:
    return _CODE_WORD.search(query) is not None


@dataclass
class Answer:
    text: str
    chunks: list[Chunk]
    messages: list[dict]
    used_llm: bool
    model: str | None = None
    citations: list[str] = field(default_factory=list)


class CodeQA:
    def __init__(self, repo, index_dir=None, backend: str = "numpy", embed=None, max_tokens: int = DEFAULT_CHUNK_TOKENS, model_dir=None):
        self.repo = Path(repo).resolve()
        if not self.repo.is_dir():
            raise FileNotFoundError(f"repository {repo} is not a directory")
        self.index_dir = Path(index_dir) if index_dir else self.repo / INDEX_DIRNAME
        self.max_tokens = max_tokens
        self.loaders = backend_module("loaders", backend)
        self.chunkers = backend_module("chunkers", backend)
        self.code_index = backend_module("code_index", backend)
        self.retrievers = backend_module("retrievers", backend)
        self.rerankers = backend_module("rerankers", backend)
        self.generation = backend_module("generation", backend)
        if embed is None:
            from .models import MiniLMEmbedder

            embed = MiniLMEmbedder(model_dir=model_dir)
        self.embed = _CountingEmbed(embed)
        self._index = None
        self._bm25 = None  # (chunks, bm25 index), rebuilt after each sync

    # ------------------------------------------------------------------ indexing
    def files(self) -> dict[str, str]:
        """Every indexable file under the repository: {relative path: text}."""
        found = {}
        for path in sorted(self.repo.rglob("*")):
            rel = path.relative_to(self.repo)
            if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts[:-1]) or not path.is_file():
                continue
            language = self.loaders.language_of(path)
            if language is None:
                continue
            if language == "pdf":
                try:
                    text = "\n".join(c.text for c in self.loaders.load_pdf(path))
                except ValueError:
                    continue
            else:
                raw = path.read_bytes()
                if b"\0" in raw[:8192]:
                    continue
                text = raw.decode("utf-8", errors="replace")
            if text.strip():
                found[rel.as_posix()] = text
        return found

    def chunk(self, path: str, text: str) -> list[Chunk]:
        """Code along its syntax tree, Markdown by sections, anything else (PDF text,
        code without a grammar) in token windows."""
        language = self.loaders.language_of(path) or "text"
        whole = Chunk(text=text, path=path, language=language, start_line=1, end_line=max(line_count(text), 1), kind="file")
        if language == "markdown":
            pieces = []
            for section in self.loaders.load_markdown(text, path):
                pieces += [section] if _fits(section, self.max_tokens) else self.chunkers.chunk_fixed(section, self.max_tokens, self.max_tokens // 8)
            return pieces
        if language != "pdf":
            try:
                return self.chunkers.chunk_ast(whole, max_tokens=self.max_tokens)
            except ValueError:
                pass  # no grammar: fall back to windows
        return self.chunkers.chunk_fixed(whole, self.max_tokens, self.max_tokens // 8)

    @property
    def index_handle(self):
        if self._index is None:
            self._check_embedder()
            self._index = self.code_index.open_index(self.index_dir, self.embed)
        return self._index

    def _check_embedder(self) -> None:
        """An index holds one embedder's vectors: another model's queries or chunks would be
        compared with them silently and rank at random, so that is refused by name."""
        name = getattr(self.embed.inner, "name", None)
        if name is None:  # a caller's embed function without a name: nothing to check
            return
        record = self.index_dir / EMBEDDER_RECORD
        if record.is_file():
            built_with = json.loads(record.read_text()).get("embedder")
            if built_with != name:
                raise ValueError(f"the index in {self.index_dir} was built with the embedder {built_with!r}, not {name!r}: "
                                 f"use the same model (--embedder), or delete that folder to re-index with this one")
        else:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps({"embedder": name}) + "\n")

    def index(self, progress: bool = False) -> dict:
        files = self.files()
        bar = None
        if progress:
            from tqdm import tqdm

            # Files are chunked as they are reached and embedded in batches: count chunks.
            bar = tqdm(desc="indexing (chunks embedded)", unit="chunk")
            self.embed.bar = bar

        def chunker(path, text):
            chunks = self.chunk(path, text)
            if bar is not None:
                bar.set_postfix_str(path[-40:])
            return chunks

        try:
            stats = self.code_index.sync_files(self.index_handle, files, chunker)
        finally:
            self.embed.bar = None
            if bar is not None:
                bar.close()
        stats["files"] = len(files)
        stats["lines"] = sum(line_count(t) for t in files.values())
        self._bm25 = None
        return stats

    # ------------------------------------------------------------------ retrieval
    def _keyword_index(self):
        if self._bm25 is None:
            chunks = self.code_index.indexed_chunks(self.index_handle)
            tokens = [self.retrievers.code_tokens(f"{c.path} {c.symbol} {c.text}") for c in chunks]
            self._bm25 = (chunks, self.retrievers.bm25_index(tokens) if chunks else None)
        return self._bm25

    def search(self, query: str, k: int = 10, mode: str = "auto", candidates: int = 50, mmr_lambda: float | None = None) -> list[tuple[Chunk, float]]:
        """The k best chunks for `query`, best first. "auto" (the default) is hybrid when the
        query names code (an identifier, a dotted name, a call) and dense for a question in
        words: on CodeSearchNet-style questions BM25 only adds noise (docs/week05_06.md),
        while an exact identifier is what keyword search finds best."""
        if not query.strip():
            raise ValueError("the query is empty")
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; choose from {', '.join(MODES)}")
        if mode == "auto":
            mode = "hybrid" if looks_like_code(query) else "dense"
        dense = self.code_index.search_index(self.index_handle, query, k=candidates) if mode != "bm25" else []
        if mode == "dense":
            results = dense
        else:
            chunks, bm25 = self._keyword_index()
            if bm25 is None:
                return []
            scores = self.retrievers.bm25_scores(bm25, self.retrievers.code_tokens(query))
            keyword = [(chunks[i], float(scores[i])) for i in np.argsort(-scores, kind="stable")[:candidates] if scores[i] > 0]
            if mode == "bm25":
                results = keyword
            else:
                by_id = {c.chunk_id: (c, s) for c, s in keyword + dense}
                fused = self.retrievers.reciprocal_rank_fusion([[c.chunk_id for c, _ in dense], [c.chunk_id for c, _ in keyword]])
                results = [(by_id[i][0], 1.0 / (1 + rank)) for rank, i in enumerate(fused)]  # fused rank as the score
        if mmr_lambda is not None and results:
            vectors = np.asarray(self.embed([c.embedding_text for c, _ in results]), dtype=np.float32)
            order = self.rerankers.mmr(np.asarray(self.embed([query]), dtype=np.float32)[0], vectors, k, lambda_=mmr_lambda)
            results = [results[i] for i in order]
        return results[:k]

    # ------------------------------------------------------------------ answering
    def prompt(self, question: str, k: int = 6, budget_tokens: int = 1500, mode: str = "auto") -> tuple[list[dict], list[Chunk]]:
        hits = [c for c, _ in self.search(question, k=k, mode=mode)]
        context = self.generation.compress_context(hits, budget_tokens)
        return self.generation.assemble_prompt(question, context), context

    def ask(self, question: str, k: int = 6, budget_tokens: int = 1500, model: str | None = None, mode: str = "auto") -> Answer:
        messages, context = self.prompt(question, k, budget_tokens, mode)
        citations = [self.generation.cite(c) for c in context]
        if os.environ.get("OPENAI_BASE_URL"):
            model = model or os.environ.get("AIGC_BENCH_LLM_MODEL", "gpt-4o-mini")
            text = chat(messages, model)
            return Answer(text, context, messages, True, model, citations)
        return Answer(self.generation.extractive_answer(question, context), context, messages, False, None, citations)


class _CountingEmbed:
    """The embedder, advancing a progress bar by the texts it embeds."""

    def __init__(self, embed):
        self.inner = embed
        self.bar = None

    def __call__(self, texts):
        texts = list(texts)
        vectors = self.inner(texts)
        if self.bar is not None:
            self.bar.update(len(texts))
        return vectors


def chat(messages: list[dict], model: str, **options) -> str:
    """One chat completion from the OpenAI-compatible endpoint at OPENAI_BASE_URL."""
    from openai import OpenAI

    client = OpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ.get("OPENAI_API_KEY", "not-needed"))
    response = client.chat.completions.create(model=model, messages=messages, **options)
    return response.choices[0].message.content or ""


def _fits(chunk: Chunk, max_tokens: int) -> bool:
    from .rag import count_tokens

    return count_tokens(chunk.text) <= max_tokens


def agent_tools(qa: CodeQA, k: int = 5) -> dict:
    """The agent's tools over a repository: `search` and `read_file` (confined to the repo)."""

    def search(query: str) -> str:
        """search the code base; returns ranked path:start-end hits with their first line"""
        hits = qa.search(query, k=k)
        return "\n".join(f"{c.citation} {c.symbol}: {next((l.strip() for l in c.text.splitlines() if l.strip()), '')[:100]}" for c, _ in hits) or "no results"

    def read_file(citation: str) -> str:
        """read lines of a file, given as path:start-end (or just path)"""
        path, _, span = citation.strip().partition(":")
        target = (qa.repo / path).resolve()
        if qa.repo not in target.parents or not target.is_file():
            raise ValueError(f"{path} is not a file of the repository")
        lines = target.read_text(encoding="utf-8", errors="replace").splitlines()
        start, _, end = span.partition("-")
        first = int(start) if start.strip().isdigit() else 1
        last = int(end) if end.strip().isdigit() else min(len(lines), first + 80)
        return "\n".join(f"{n}: {lines[n - 1]}" for n in range(max(first, 1), min(last, len(lines)) + 1))

    return {"search": search, "read_file": read_file}
