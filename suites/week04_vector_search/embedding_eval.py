"""Embedding studies of roadmap Day 22-24, as functions the suite and the reports call.

- `fine_tune_minilm`: a short contrastive fine-tune of all-MiniLM-L6-v2 on
  CodeSearchNet-style pairs of one package (`aigc_bench.code_embedder`'s
  contrastive loop: each query's own code is the positive, the other codes of
  the batch are negatives), evaluated with BEIR's metrics on
  pairs of another package the model never saw, before and after.
- `tsne_picture`: a 2-D t-SNE (scikit-learn) of code embeddings coloured by the
  package they come from, saved as a PNG.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from aigc_bench.codesearch import code_pairs
from aigc_bench.retrieval_metrics import evaluate_embeddings


def _encode(model, texts: list[str]) -> np.ndarray:
    return model.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)


def _scores(model, pairs) -> dict[str, float]:
    return evaluate_embeddings(_encode(model, [p.query for p in pairs]), _encode(model, [p.code for p in pairs]))


def fine_tune_minilm(train_package: str = "networkx", eval_package: str = "requests", train_pairs: int = 192,
                     eval_pairs: int = 50, epochs: int = 1, batch_size: int = 16, lr: float = 3e-5,
                     max_seq_length: int = 96, seed: int = 0) -> dict:
    """Fine-tune a fresh copy of MiniLM on `train_pairs` pairs of `train_package`; report BEIR
    metrics on held-out pairs of the same package and on pairs of `eval_package`, before and after."""
    from sentence_transformers import SentenceTransformer

    from aigc_bench.code_embedder import contrastive_fit
    from aigc_bench.models import minilm_dir

    everything = code_pairs(train_package, max_pairs=train_pairs + eval_pairs, seed=seed)
    rng = random.Random(seed)
    rng.shuffle(everything)
    train, held_out = everything[:train_pairs], everything[train_pairs:]
    other = code_pairs(eval_package, max_pairs=eval_pairs, seed=seed)

    model = SentenceTransformer(str(minilm_dir()), device="cpu")  # a fresh copy: the shared one stays untouched
    model.max_seq_length = max_seq_length
    model.eval()
    before = {"train_package_held_out": _scores(model, held_out), "other_package": _scores(model, other)}
    losses = contrastive_fit(model, train, steps=epochs * (len(train) // batch_size), batch_size=batch_size, lr=lr, seed=seed)
    after = {"train_package_held_out": _scores(model, held_out), "other_package": _scores(model, other)}
    return {
        "train_package": train_package, "eval_package": eval_package, "train_pairs": len(train),
        "held_out_pairs": len(held_out), "other_pairs": len(other), "epochs": epochs, "batch_size": batch_size,
        "lr": lr, "losses": losses, "before": before, "after": after,
    }


def tsne_picture(out_path="reports/embeddings/tsne_by_package.png", packages=("httpx", "jinja2", "click", "networkx"),
                 per_package: int = 80, seed: int = 0, embedder=None) -> Path:
    """Embed `per_package` functions' code of each package, project to 2-D with t-SNE and
    save a scatter plot coloured by package. Returns the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    from aigc_bench.models import MiniLMEmbedder

    embedder = embedder or MiniLMEmbedder()
    texts, labels = [], []
    for package in packages:
        for pair in code_pairs(package, max_pairs=per_package, seed=seed):
            texts.append(pair.code)
            labels.append(package)
    vectors = embedder.embed(texts)  # [n, d]
    perplexity = min(30.0, (len(texts) - 1) / 3)
    points = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, metric="cosine").fit_transform(vectors)
    fig, ax = plt.subplots(figsize=(7, 6))
    for package in packages:
        mask = np.array([label == package for label in labels])
        ax.scatter(points[mask, 0], points[mask, 1], s=12, label=package, alpha=0.8)
    ax.set_title(f"t-SNE of {getattr(embedder, 'name', 'embedder')} code embeddings, by package")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend()
    fig.tight_layout()
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
