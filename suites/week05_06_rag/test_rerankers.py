"""Rerankers: MMR and a cross-encoder from a local directory (roadmap Day 33-34)."""

import os

import numpy as np
import pytest

from aigc_bench.checks import fail

SKILL = "rerankers"


def mmr_reference(q, docs, k, lam):
    """Greedy MMR straight from the definition (Carbonell & Goldstein, 1998)."""
    picked, rest = [], list(range(len(docs)))
    while rest and len(picked) < k:
        def gain(i):
            redundancy = max((float(docs[i] @ docs[j]) for j in picked), default=0.0)
            return lam * float(docs[i] @ q) - (1 - lam) * redundancy
        best = max(rest, key=lambda i: (gain(i), -i))
        picked.append(best)
        rest.remove(best)
    return picked


@pytest.mark.parametrize("lam", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_mmr_matches_definition(impl, rng, lam):
    docs = rng.standard_normal((30, 8))
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    q = docs[0] + 0.8 * docs[1]  # no exact tie at the top: float sums differ in the last bit
    q /= np.linalg.norm(q)
    got = list(impl.mmr(q, docs, 8, lambda_=lam))
    want = mmr_reference(q, docs, 8, lam)
    if got != want:
        fail(f"MMR (lambda={lam}) picked {got}, expected {want}")


def test_mmr_avoids_near_duplicates(impl):
    base = np.array([1.0, 0.0, 0.0])
    dup = np.array([0.999, 0.045, 0.0])
    other = np.array([0.6, 0.0, 0.8])
    docs = np.stack([base, dup / np.linalg.norm(dup), other])
    q = np.array([0.9, 0.0, 0.436])
    q /= np.linalg.norm(q)
    got = list(impl.mmr(q, docs, 2, lambda_=0.5))
    if got != [0, 2]:
        fail(f"MMR picked {got}: after the best match the near-duplicate should lose to a diverse document")
    assert list(impl.mmr(q, docs, 3, lambda_=1.0)) == list(np.argsort(-(docs @ q))), "lambda=1 is plain similarity order"


def _tiny_cross_encoder(directory):
    """A BERT cross-encoder built from a config with seeded random weights, saved
    like a real one: it exercises loading and scoring, not relevance."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from aigc_bench.models import minilm_tokenizer

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(directory)
    minilm_tokenizer().save_pretrained(directory)
    return directory


def _pair_scorer(model_dir):
    from sentence_transformers import CrossEncoder

    from aigc_bench.rag import run_outside_guard

    model = CrossEncoder(str(model_dir), device="cpu")
    return run_outside_guard(lambda pairs: model.predict(pairs, show_progress_bar=False))


def test_cross_encoder_rerank_orders_by_model_score(impl, tmp_path):
    model_dir = _tiny_cross_encoder(tmp_path / "tiny-cross-encoder")
    score = _pair_scorer(model_dir)
    texts = ["def parse(line): ...", "class Cache: ...", "def fetch(url): ...", "README: install with pip"]
    got = list(impl.cross_encoder_rerank("how is a line parsed?", texts, score))
    want = list(np.argsort(-np.asarray(score([("how is a line parsed?", t) for t in texts])), kind="stable"))
    assert got == want, f"cross-encoder order {got} != model score order {want}"
    assert list(impl.cross_encoder_rerank("q", texts, score, k=2)) == want[:2]


def test_cross_encoder_with_a_real_local_model(impl):
    model_dir = os.environ.get("AIGC_BENCH_CROSS_ENCODER")
    if not model_dir:
        pytest.skip("no local cross-encoder: set AIGC_BENCH_CROSS_ENCODER to a model directory (e.g. ms-marco-MiniLM-L-6-v2); nothing is downloaded")
    score = _pair_scorer(model_dir)
    texts = ["The capital of France is Paris.", "Bananas are rich in potassium.", "Paris hosts the Louvre."]
    got = list(impl.cross_encoder_rerank("What is the capital of France?", texts, score))
    assert got[0] == 0, f"a trained cross-encoder ranks the answer first, got order {got}"
