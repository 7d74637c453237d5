"""Fixtures of the week 4 suites: MiniLM embeddings of real text, computed once a session."""

import numpy as np
import pytest

from aigc_bench.codesearch import code_pairs

# Real text nobody here wrote: documented functions of an installed package.
CORPUS_PACKAGE = "httpx"
CORPUS_PAIRS = 60


@pytest.fixture(scope="session")
def minilm_corpus():
    """{"pairs", "queries" [m, 384], "documents" [m, 384]}: MiniLM embeddings of
    CodeSearchNet-style pairs of CORPUS_PACKAGE (query = docstring's first sentence)."""
    from aigc_bench.models import MiniLMEmbedder

    pairs = code_pairs(CORPUS_PACKAGE, max_pairs=CORPUS_PAIRS, seed=0)
    embedder = MiniLMEmbedder(batch_size=32)
    return {
        "pairs": pairs,
        "queries": embedder.embed([p.query for p in pairs]),
        "documents": embedder.embed([p.code for p in pairs]),
    }
