"""Embeddings (roadmap Day 22-24): the contract every embedder meets (MiniLM, a
learner's model, an OpenAI-compatible endpoint through
aigc_bench.embedding_clients), and retrieval quality on real data nobody here wrote:
CodeSearchNet-style pairs of an installed package, scored with BEIR's metrics."""

import numpy as np
import pytest

from aigc_bench import retrieval_metrics
from aigc_bench.checks import assert_raises_clearly, fail
from aigc_bench.codesearch import code_pairs

SKILL = "embedding"
TEXTS = [
    "Send an HTTP GET request and return the response.",
    "def add(a, b):\n    return a + b",
    "x",
    "A much longer sentence about vector databases, approximate nearest neighbour search, and how HNSW graphs trade recall for speed.",
    "",
]
# Retrieval quality floors on QUALITY_PAIRS pairs of QUALITY_PACKAGE (chance: MRR@10 ~ 0.05).
QUALITY_PACKAGE, QUALITY_PAIRS = "requests", 60
QUALITY_FLOORS = {"MRR@10": 0.4, "Recall@10": 0.6}  # all-MiniLM-L6-v2 measured 0.75 and 0.95


def check_contract_output(out, n, what="embed"):
    out = np.asarray(out)
    if out.ndim != 2 or out.shape[0] != n:
        fail(f"{what} returned shape {out.shape}; expected [{n}, d]")
    if out.dtype != np.float32:
        fail(f"{what} returned dtype {out.dtype}; the contract says float32")
    if not np.all(np.isfinite(out)):
        fail(f"{what} returned NaN or inf")
    norms = np.linalg.norm(out.astype(np.float64), axis=1)
    if n and np.max(np.abs(norms - 1)) > 1e-3:
        fail(f"{what} rows have norms {norms.min():.4f}..{norms.max():.4f}; the contract wants unit norm (normalise)")
    return out


def test_embeddings_are_normalised_float32_rows(impl):
    out = check_contract_output(impl.embed(TEXTS), len(TEXTS))
    if np.allclose(out[0], out[3], atol=1e-3):
        fail("two unrelated texts got the same embedding")


def test_batching_does_not_change_embeddings(impl):
    together = np.asarray(impl.embed(TEXTS))
    for i in (0, 3):
        alone = np.asarray(impl.embed([TEXTS[i]]))[0]
        err = np.abs(alone - together[i]).max()
        if err > 1e-4:
            fail(f"text {i} embedded alone differs from the same text in a batch by {err:.2e}: padding leaks into the embedding (mask it in pooling)")
    reordered = np.asarray(impl.embed(TEXTS[::-1]))[::-1]
    if np.abs(reordered - together).max() > 1e-4:
        fail("embedding the texts in reverse order gave different rows: results must come back in the caller's order")


def test_empty_list_and_bad_items(impl):
    empty = np.asarray(impl.embed([]))
    if empty.ndim != 2 or empty.shape[0] != 0:
        fail(f"embed([]) returned shape {empty.shape}; expected [0, d]")
    assert_raises_clearly(TypeError, impl.embed, ["fine", 42], what="a list holding a number")


def test_similar_texts_are_nearer_than_unrelated_ones(impl):
    a, b, c = np.asarray(impl.embed([
        "How do I open a file for reading in Python?",
        "Read a file's contents with Python's open()",
        "The cathedral's stained glass windows date from the twelfth century.",
    ]), dtype=np.float64)
    if not a @ b > a @ c + 0.1:
        fail(f"a paraphrase (cos {a @ b:.3f}) is not clearly nearer than an unrelated sentence (cos {a @ c:.3f})")


def test_retrieval_quality_on_real_code(impl, record_metric, run_record):
    """Query = a docstring's first sentence, target = the function without it (CodeSearchNet)."""
    pairs = code_pairs(QUALITY_PACKAGE, max_pairs=QUALITY_PAIRS, seed=0)
    queries = check_contract_output(impl.embed([p.query for p in pairs]), len(pairs), "embed(queries)")
    targets = check_contract_output(impl.embed([p.code for p in pairs]), len(pairs), "embed(code)")
    scores = retrieval_metrics.evaluate_embeddings(queries, targets)
    for name, value in scores.items():
        record_metric(name, value, "", "higher")
    run_record.add_section("embedding_quality", {"impl": impl.name, "package": QUALITY_PACKAGE, "pairs": len(pairs), **scores})
    for name, floor in QUALITY_FLOORS.items():
        if scores[name] < floor:
            fail(f"{name} on {len(pairs)} {QUALITY_PACKAGE} query/code pairs is {scores[name]:.3f}, below the floor {floor} "
                 f"(all scores: { {k: round(v, 3) for k, v in scores.items()} })")
