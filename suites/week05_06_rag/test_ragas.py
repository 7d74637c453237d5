"""RAGAS on our retrieval, offline: its non-LLM metrics (context precision/recall
against the reference function, ID-based precision/recall, string and semantic
similarity with the local MiniLM), and with an endpoint its LLM metrics (marker `llm`),
where a failed call is reported as a failure, never averaged away as NaN."""

import math
import os

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # before ragas is imported

import pytest

from aigc_bench import rag_eval
from aigc_bench.checks import fail

DEV_FILES = ["click/formatting.py", "click/utils.py"]


@pytest.fixture(scope="module")
def samples(embedder):
    """One RAGAS sample per dev question, for the dense and the hybrid retriever over AST chunks."""
    from impls.numpy.generation import extractive_answer

    eval_set = rag_eval.build_eval_set("click", files=DEV_FILES)
    chunks = rag_eval.chunk_corpus(eval_set, "ast", embedder)
    retriever = rag_eval.ChunkRetriever(chunks, embedder)
    built = {}
    for method in ("dense", "hybrid_rrf"):
        rows = []
        for q in eval_set.queries:
            hits = [chunks[i] for i in retriever.rank(q.text, method, k=5)]
            target = "".join(eval_set.files[q.path].splitlines(keepends=True)[q.start_line - 1:q.end_line])
            rows.append({
                "user_input": q.text,
                "retrieved_contexts": [c.text for c in hits],
                "reference_contexts": [target],
                "retrieved_context_ids": [rag_eval.function_of(c, eval_set.functions[c.path]) for c in hits],
                "reference_context_ids": [rag_eval.relevant_function(q)],
                "response": extractive_answer(q.text, hits, max_snippets=1),
                "reference": target,
            })
        built[method] = rows
    return built


def _evaluate(rows, metrics, llm, embeddings):
    from ragas import EvaluationDataset, evaluate
    from ragas.run_config import RunConfig

    # A long timeout: on a shared 2-core machine an embedding batch can wait minutes, and a
    # timed-out metric would come back as NaN (which the tests report as a failure).
    result = evaluate(EvaluationDataset.from_list(rows), metrics=metrics, llm=llm, embeddings=embeddings,
                      show_progress=False, raise_exceptions=False, run_config=RunConfig(timeout=1200, max_workers=4))
    return result.to_pandas()


def _offline_models(embedder):
    from ragas.embeddings import LangchainEmbeddingsWrapper
    from ragas.llms import LangchainLLMWrapper

    from aigc_bench.rag_langchain import MiniLMEmbeddings, OfflineChatModel

    return LangchainLLMWrapper(OfflineChatModel()), LangchainEmbeddingsWrapper(MiniLMEmbeddings(embedder))


def test_ragas_non_llm_metrics(samples, embedder, run_record, record_metric):
    from ragas.metrics import (IDBasedContextPrecision, IDBasedContextRecall, NonLLMContextPrecisionWithReference,
                               NonLLMContextRecall, NonLLMStringSimilarity, SemanticSimilarity)

    llm, embeddings = _offline_models(embedder)
    table = {}
    for method, rows in samples.items():
        frame = _evaluate(rows, [NonLLMContextPrecisionWithReference(), NonLLMContextRecall(), IDBasedContextPrecision(),
                                 IDBasedContextRecall(), NonLLMStringSimilarity(), SemanticSimilarity()], llm, embeddings)
        scores = frame.select_dtypes("number")
        if scores.isna().any().any():
            fail(f"RAGAS returned NaN for {method}: {scores.isna().sum().to_dict()} (a metric failed)")
        table[method] = {k: float(v) for k, v in scores.mean().items()}
        # Cross-check: with one reference id, ID-based recall over the top 5 is hit@5.
        hits = [float(r["reference_context_ids"][0] in r["retrieved_context_ids"]) for r in rows]
        got = float(scores["id_based_context_recall"].mean())
        if not math.isclose(got, sum(hits) / len(hits), abs_tol=1e-9):
            fail(f"RAGAS IDBasedContextRecall {got:.3f} disagrees with hit@5 {sum(hits) / len(hits):.3f} on the same rankings")
        for name, value in table[method].items():
            record_metric(f"ragas {method} {name}", value, better="higher")
    print("\n" + "\n".join(f"{m}: " + ", ".join(f"{k} {v:.3f}" for k, v in t.items()) for m, t in table.items()))
    run_record.add_section("rag", {"kind": "ragas_non_llm", "package": "click", "files": DEV_FILES, "table": table})
    assert table["dense"]["non_llm_context_recall"] > 0.5, "the retrieved chunks rarely contain the reference function"


@pytest.mark.llm
def test_ragas_llm_metrics_with_an_endpoint(samples, embedder, llm_endpoint, run_record):
    from openai import AsyncOpenAI
    from ragas.embeddings import LangchainEmbeddingsWrapper
    from ragas.llms import llm_factory
    from ragas.metrics import Faithfulness, LLMContextPrecisionWithReference, ResponseRelevancy

    from aigc_bench.rag_langchain import MiniLMEmbeddings

    base_url, model = llm_endpoint
    llm = llm_factory(model, client=AsyncOpenAI(base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY", "not-needed")))
    rows = samples["hybrid_rrf"][:8]
    frame = _evaluate(rows, [Faithfulness(), ResponseRelevancy(), LLMContextPrecisionWithReference()], llm,
                      LangchainEmbeddingsWrapper(MiniLMEmbeddings(embedder)))
    scores = frame.select_dtypes("number")
    failed = {name: int(n) for name, n in scores.isna().sum().items() if n}
    run_record.add_section("rag", {"kind": "ragas_llm", "model": model, "means": {k: float(v) for k, v in scores.mean().items()}, "failed_calls": failed})
    assert not failed, f"LLM metric calls failed (reported, not averaged as NaN): {failed} of {len(rows)} samples"
