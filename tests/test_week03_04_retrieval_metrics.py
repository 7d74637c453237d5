"""BEIR metrics (aigc_bench.retrieval_metrics) on hand-built rankings, and the
CodeSearchNet-style pair builder (aigc_bench.codesearch) on hand-written source."""

import math

import numpy as np
import pytest

from aigc_bench import retrieval_metrics as rm
from aigc_bench.codesearch import code_pairs, first_sentence, pairs_from_source


def test_reciprocal_rank_is_one_over_the_first_relevant_rank():
    ranking = ["d3", "d1", "d7", "d2"]
    assert rm.reciprocal_rank(ranking, {"d7"}) == pytest.approx(1 / 3)
    assert rm.reciprocal_rank(ranking, {"d7", "d1"}) == pytest.approx(1 / 2)
    assert rm.reciprocal_rank(ranking, {"d9"}) == 0.0
    assert rm.reciprocal_rank(ranking, {"d2"}, k=3) == 0.0  # beyond the cut-off


def test_recall_counts_relevant_documents_in_the_top_k():
    ranking = ["a", "b", "c", "d", "e"]
    assert rm.recall(ranking, {"b", "e", "z"}, 1) == 0.0
    assert rm.recall(ranking, {"b", "e", "z"}, 2) == pytest.approx(1 / 3)
    assert rm.recall(ranking, {"b", "e", "z"}, 5) == pytest.approx(2 / 3)


def test_ndcg_by_hand():
    # grades: a=3 at rank 2, b=1 at rank 3; ideal order a, b
    ranking = ["x", "a", "b"]
    dcg = 3 / math.log2(3) + 1 / math.log2(4)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert rm.ndcg(ranking, {"a": 3, "b": 1}) == pytest.approx(dcg / idcg)
    assert rm.ndcg(["a", "b"], {"a": 3, "b": 1}) == pytest.approx(1.0)
    assert rm.ndcg(["x", "y"], {"a": 1}) == 0.0


def test_evaluate_averages_over_queries_with_beir_names():
    scores = rm.evaluate([["a", "b"], ["c", "d"]], [{"b"}, {"c"}], ks=(1, 5))
    assert set(scores) == {"MRR@10", "Recall@1", "Recall@5", "NDCG@10"}
    assert scores["MRR@10"] == pytest.approx((1 / 2 + 1) / 2)
    assert scores["Recall@1"] == pytest.approx(0.5)
    assert scores["Recall@5"] == pytest.approx(1.0)
    assert scores["NDCG@10"] == pytest.approx((1 / math.log2(3) + 1) / 2)


@pytest.mark.parametrize(
    "rankings, relevant, words",
    [
        ([["a", "a"]], [{"a"}], "repeats"),
        ([["a"]], [set()], "no relevant"),
        ([["a"], ["b"]], [{"a"}], "one per query"),
        ([], [], "no queries"),
    ],
    ids=["repeated-document", "no-relevant", "count-mismatch", "empty"],
)
def test_bad_rankings_are_clear_errors(rankings, relevant, words):
    with pytest.raises(ValueError, match=words):
        rm.evaluate(rankings, relevant)


def test_evaluate_embeddings_ranks_by_cosine():
    docs = np.eye(4)
    queries = np.array([[1.0, 0.1, 0, 0], [0, 0, 0.2, 1.0], [0, 1.0, 0.9, 0]])  # third: doc 1 first, its target is 2
    scores = rm.evaluate_embeddings(queries, docs, relevant_index=[0, 3, 2])
    assert scores["Recall@1"] == pytest.approx(2 / 3)
    assert scores["MRR@10"] == pytest.approx((1 + 1 + 0.5) / 3)


SOURCE = '''
def documented(a, b):
    """Add two numbers together. Then more text."""
    total = a + b
    total = total * 1
    return total


def short(a):
    """Return the argument unchanged please."""
    return a


def terse(a):
    """Adds."""
    x = a
    y = x
    return y


def test_something():
    """A test function is dropped by CodeSearchNet."""
    x = 1
    y = 2
    assert x < y


class Box:
    def __repr__(self):
        """Represent the box as text please."""
        a = 1
        b = 2
        return "Box"

    def open(self, force=False):
        """Open the box, forcing the lid if asked.

        Long description.
        """
        if force:
            self.lid = None
        return self
'''


def test_pairs_follow_codesearchnet():
    pairs = pairs_from_source(SOURCE, "demo", "demo.py")
    assert [p.qualname for p in pairs] == ["documented", "Box.open"]
    first = pairs[0]
    assert first.query == "Add two numbers together."
    assert '"""' not in first.code and "Add two" not in first.code
    assert first.code.splitlines()[0] == "def documented(a, b):"
    assert pairs[1].query == "Open the box, forcing the lid if asked."


def test_first_sentence_stops_at_the_first_paragraph():
    assert first_sentence("Summary line\nwrapped here\n\nDetails. More.") == "Summary line wrapped here"
    assert first_sentence("Is it? Yes.") == "Is it?"


def test_pairs_from_a_real_installed_package():
    pairs = code_pairs("httpx")
    assert len(pairs) >= 50
    assert len({p.query.lower() for p in pairs}) == len(pairs)
    assert all(len(p.query.split()) >= 3 and len(p.code.splitlines()) >= 3 for p in pairs)
    sample = code_pairs("httpx", max_pairs=10, seed=1)
    assert len(sample) == 10 and sample == code_pairs("httpx", max_pairs=10, seed=1)
    with pytest.raises(ValueError, match="not installed"):
        code_pairs("no_such_package_xyz")
