"""LangChain adapters for the weeks 5-6 RAG pieces (roadmap Day 15-16 enters here).

- `ChunkListRetriever` / `CodeQARetriever`: our retrievers as LangChain
  `BaseRetriever`s (usable in any LCEL chain: `retriever | format_docs | prompt`).
- `chunks_from_documents` / `langchain_ranker`: the other way round, a learner's
  LangChain retriever or runnable (anything with `.invoke(query) -> list[Document]`)
  plugged into the suite's evaluation. Documents must carry `path`, `start_line` and
  `end_line` metadata (as `document_from_chunk` writes them) to be judged.
- `MiniLMEmbeddings`: the local MiniLM as LangChain `Embeddings` (for RAGAS).
- `OfflineChatModel`: a chat model for tools that insist on one (RAGAS) when none is
  configured: it refuses every call, so nothing silently scores with a fake model.
"""

from __future__ import annotations

from typing import Any, Callable

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.retrievers import BaseRetriever

from .rag import Chunk


def document_from_chunk(chunk: Chunk, score: float | None = None) -> Document:
    meta = chunk.to_metadata() | {"citation": chunk.citation}
    if score is not None:
        meta["score"] = score
    return Document(page_content=chunk.text, metadata=meta)


def chunks_from_documents(documents) -> list[Chunk]:
    chunks = []
    for n, doc in enumerate(documents):
        if not isinstance(doc, Document):
            raise TypeError(f"result {n} is a {type(doc).__name__}, not a langchain_core Document")
        missing = [k for k in ("path", "start_line", "end_line") if k not in doc.metadata]
        if missing:
            raise ValueError(f"document {n} lacks metadata {missing}: a retriever must say where each document comes from "
                             f"(path, start_line, end_line) for its results to be judged")
        chunks.append(Chunk.from_metadata(doc.page_content, {"language": "text", **doc.metadata}))
    return chunks


class ChunkListRetriever(BaseRetriever):
    """Any ranking function over chunks, as a LangChain retriever."""

    rank: Callable[[str], list]  # query -> [(Chunk, score)] best first
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [document_from_chunk(c, s) for c, s in self.rank(query)[: self.k]]


def CodeQARetriever(qa, k: int = 5, mode: str = "auto") -> ChunkListRetriever:
    """The shipped code search (`aigc_bench.rag_system.CodeQA.search`) as a LangChain retriever."""
    return ChunkListRetriever(rank=lambda q: qa.search(q, k=k, mode=mode), k=k)


def langchain_ranker(runnable) -> Callable[[str], list[Chunk]]:
    """A learner's LangChain retriever or runnable as a query -> [Chunk] function."""
    if not hasattr(runnable, "invoke"):
        raise TypeError(f"{type(runnable).__name__} is not a LangChain runnable (it has no .invoke)")

    def rank(query: str) -> list[Chunk]:
        return chunks_from_documents(runnable.invoke(query))

    return rank


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 (local) as LangChain embeddings."""

    def __init__(self, embed=None):
        if embed is None:
            from .models import MiniLMEmbedder

            embed = MiniLMEmbedder()
        self._embed = embed

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [v.tolist() for v in self._embed(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0].tolist()


class OfflineChatModel(BaseChatModel):
    """Stands in where a chat model is required but none is configured: every call fails
    with the reason, so a metric that needs an LLM is reported as failed, not faked."""

    @property
    def _llm_type(self) -> str:
        return "aigc-bench-offline"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any):
        raise RuntimeError("no language model is configured (set OPENAI_BASE_URL): this metric needs one")
