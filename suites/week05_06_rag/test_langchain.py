"""LangChain (Day 15-16 as an adapter): our retriever inside an LCEL chain, and a
learner's LangChain retriever or runnable judged by the suite's own evaluation.

A learner plugs in with AIGC_BENCH_LANGCHAIN_RETRIEVER=module:factory, where
factory(documents: list[Document]) returns a retriever or runnable whose .invoke(query)
gives Documents carrying path/start_line/end_line metadata."""

import importlib
import os

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from aigc_bench import rag_eval
from aigc_bench.checks import assert_raises_clearly
from aigc_bench.rag_langchain import ChunkListRetriever, chunks_from_documents, document_from_chunk, langchain_ranker

DEV_FILES = ["click/formatting.py", "click/utils.py"]


@pytest.fixture(scope="module")
def dev(embedder):
    eval_set = rag_eval.build_eval_set("click", files=DEV_FILES)
    chunks = rag_eval.chunk_corpus(eval_set, "ast", embedder)
    return eval_set, chunks, rag_eval.ChunkRetriever(chunks, embedder)


def test_our_retriever_in_an_lcel_chain(dev):
    eval_set, chunks, retriever = dev
    lc = ChunkListRetriever(rank=lambda q: [(chunks[i], 0.0) for i in retriever.rank(q, "hybrid_rrf")], k=3)
    assert isinstance(lc, BaseRetriever)
    chain = lc | RunnableLambda(lambda docs: "\n".join(d.metadata["citation"] for d in docs))
    query = eval_set.queries[0]
    cited = chain.invoke(query.text).splitlines()
    assert len(cited) == 3 and all(c.startswith("click/") for c in cited), cited
    docs = lc.invoke(query.text)
    assert [c.citation for c in chunks_from_documents(docs)] == cited, "documents round-trip to the same chunks"
    batch = lc.batch([q.text for q in eval_set.queries[:3]])
    assert len(batch) == 3 and all(len(b) == 3 for b in batch)


def _bundled_factory(documents):
    """The example learner factory: the share of the query's terms found in each document
    (identifiers split as code_tokens does), as a plain runnable."""
    from impls.numpy.retrievers import code_tokens

    terms = [set(code_tokens(f"{d.metadata['path']} {d.metadata['symbol']} {d.page_content}")) for d in documents]

    def rank(query):
        wanted = set(code_tokens(query))
        order = sorted(range(len(documents)), key=lambda i: -len(wanted & terms[i]) / (1 + len(terms[i])) ** 0.5)
        return [documents[i] for i in order[:10]]

    return RunnableLambda(rank)


def _learner_factory():
    spec = os.environ.get("AIGC_BENCH_LANGCHAIN_RETRIEVER")
    if not spec:
        return _bundled_factory, "bundled keyword-overlap runnable"
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name), spec


def test_learner_langchain_retriever_is_scored(dev, run_record, record_metric):
    eval_set, chunks, retriever = dev
    factory, label = _learner_factory()
    runnable = factory([document_from_chunk(c) for c in chunks])
    metrics = rag_eval.evaluate_ranker(eval_set, langchain_ranker(runnable))
    ours = rag_eval.evaluate_ranker(eval_set, lambda q: [chunks[i] for i in retriever.rank(q, "dense")])
    print(f"\n{label}: {metrics}\nour dense: {ours}")
    run_record.add_section("rag", {"kind": "langchain_retriever", "retriever": label, "metrics": metrics, "dense": ours})
    record_metric("langchain retriever hit@5", metrics["hit@5"], better="higher", retriever=label)
    assert 0.0 <= metrics["hit@5"] <= 1.0
    if label.startswith("bundled"):
        assert metrics["hit@5"] > 0.2, "keyword overlap should find some functions (random order finds ~5%)"


def test_adapter_names_missing_metadata():
    bare = RunnableLambda(lambda q: [Document(page_content="x = 1")])
    assert_raises_clearly(ValueError, langchain_ranker(bare), "q", match_any=["path", "start_line"], what="documents without their location")
    assert_raises_clearly(TypeError, langchain_ranker, object(), match_any=["invoke", "runnable"], what="an object that is not a runnable")
