"""Few-shot example selection, with the real all-MiniLM-L6-v2 embeddings for "similar"."""

import numpy as np
import pytest

from aigc_bench.checks import assert_raises_clearly
from aigc_bench.models import MiniLMEmbedder

SKILL = "few_shot_selection"

POOL = [
    ("How do I reverse a list in Python?", "code"),
    ("What is the capital of France?", "geography"),
    ("Sort a dictionary by value in Python", "code"),
    ("Which river flows through Cairo?", "geography"),
    ("How to read a CSV file with pandas", "code"),
    ("What is the tallest mountain in Africa?", "geography"),
    ("Bake bread without yeast", "cooking"),
]


@pytest.fixture(scope="module")
def embed():
    return MiniLMEmbedder().embed


def test_fixed_and_random(impl):
    assert impl.select_examples(POOL, 3, "fixed") == POOL[:3]
    first = impl.select_examples(POOL, 4, "random", seed=5)
    assert first == impl.select_examples(POOL, 4, "random", seed=5), "the same seed must give the same examples"
    assert len(set(first)) == 4 and all(e in POOL for e in first)
    draws = {tuple(impl.select_examples(POOL, 3, "random", seed=s)) for s in range(10)}
    assert len(draws) > 3, "different seeds should give different examples"
    assert impl.select_examples(POOL, 99, "fixed") == POOL


def test_similar_uses_the_embeddings(impl, embed):
    chosen = impl.select_examples(POOL, 2, "similar", query="How can I merge two lists in Python?", embed=embed)
    assert [label for _, label in chosen] == ["code", "code"], chosen
    chosen = impl.select_examples(POOL, 2, "similar", query="Which is the longest river in Europe?", embed=embed)
    assert chosen[0][1] == "geography", chosen


def test_generated_examples_cover_every_label(impl, embed):
    chosen = impl.generate_examples(POOL, 3, embed)
    assert sorted(label for _, label in chosen) == ["code", "cooking", "geography"]
    assert len(impl.generate_examples(POOL, 5, embed)) == 5


def test_bad_requests(impl, embed):
    assert_raises_clearly(ValueError, impl.select_examples, POOL, 2, "nearest", what="an unknown method")
    assert_raises_clearly(ValueError, impl.select_examples, POOL, 2, "similar", what="'similar' without a query")
    assert_raises_clearly(ValueError, impl.select_examples, POOL, -1, "fixed", what="negative k")
