"""Embedders behind one contract, and their adapters.

The embedding contract (suites/week04_vector_search/contract.py, skill
`embedding`): `embed(texts) -> float32 [n, d]`, rows L2-normalised, in the
caller's order. Three kinds of embedder meet it:

- `MiniLMEmbedder` (aigc_bench.models): the real all-MiniLM-L6-v2, offline,
  length-sorted batches, optional progress bar;
- `OpenAIEmbeddingClient`: any OpenAI-compatible `/v1/embeddings` endpoint
  (our own server from aigc_bench.server, vLLM, llama.cpp, OpenAI itself);
- `ModuleEmbedder`: a learner's module (or any object) with an `embed` function.

`checked_embeddings` validates what an embedder returned, and
`ChromaEmbeddingFunction` hands any of them to ChromaDB, so that Chroma never
falls back to its own default model (which it would download).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .models import MiniLMEmbedder  # noqa: F401  (re-exported: the reference embedder)

NORM_TOLERANCE = 1e-3


class EmbeddingError(RuntimeError):
    """An embedder broke the contract, or an endpoint answered with an error."""


def check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("embed() takes a list of strings, not one string (wrap it: [text])")
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"embed() takes a list of strings; item {bad[0]} is {type(texts[bad[0]]).__name__}")
    return texts


def checked_embeddings(vectors, n: int, source: str = "embedder") -> np.ndarray:
    """The embedder's output as float32 [n, d], or EmbeddingError naming what is wrong
    (shape, count, NaN/inf, rows not of unit norm)."""
    x = np.asarray(vectors)
    if x.ndim != 2:
        raise EmbeddingError(f"{source} returned shape {x.shape}; expected [n_texts, dim]")
    if x.shape[0] != n:
        raise EmbeddingError(f"{source} returned {x.shape[0]} vectors for {n} texts")
    if x.dtype.kind != "f":
        raise EmbeddingError(f"{source} returned dtype {x.dtype}; expected float32")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise EmbeddingError(f"{source} returned NaN or inf")
    norms = np.linalg.norm(x, axis=1)
    if n and np.max(np.abs(norms - 1.0)) > NORM_TOLERANCE:
        raise EmbeddingError(f"{source} returned rows of norm {norms.min():.4f}..{norms.max():.4f}; the contract wants unit norm")
    return x


def normalise_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise EmbeddingError("an embedding is the zero vector: it cannot be normalised")
    return (x / norms).astype(np.float32)


class OpenAIEmbeddingClient:
    """embed(texts) through an OpenAI-compatible `POST {base_url}/embeddings`.

    Sends `batch_size` texts a request (OpenAI accepts up to 2048), restores the
    order from each item's `index`, normalises the rows (OpenAI's are already
    unit norm; other servers' may not be) and raises EmbeddingError with the
    server's own error message on a non-200 answer."""

    def __init__(self, base_url: str, model: str, api_key: str = "not-needed", batch_size: int = 64,
                 dimensions: int | None = None, timeout: float = 60.0, progress: bool = False):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.base_url = base_url.rstrip("/")
        self.model, self.api_key, self.batch_size = model, api_key, batch_size
        self.dimensions, self.timeout, self.progress = dimensions, timeout, progress
        self.name = model
        self.requests = 0  # how many HTTP requests embed() made (batching is observable)

    def _post(self, client, batch: list[str]) -> np.ndarray:
        body = {"model": self.model, "input": batch, "encoding_format": "float"}
        if self.dimensions is not None:
            body["dimensions"] = self.dimensions
        response = client.post(f"{self.base_url}/embeddings", json=body, headers={"Authorization": f"Bearer {self.api_key}"})
        self.requests += 1
        if response.status_code != 200:
            try:
                message = response.json()["error"]["message"]
            except Exception:
                message = response.text[:300]
            raise EmbeddingError(f"{self.base_url}/embeddings answered {response.status_code}: {message}")
        items = response.json().get("data")
        if not isinstance(items, list) or len(items) != len(batch):
            raise EmbeddingError(f"{self.base_url}/embeddings returned {len(items) if isinstance(items, list) else 'no'} embeddings for {len(batch)} inputs")
        items = sorted(items, key=lambda item: item["index"])
        return np.asarray([item["embedding"] for item in items], dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import httpx
        from tqdm import tqdm

        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dimensions or 0), np.float32)
        starts = range(0, len(texts), self.batch_size)
        parts = []
        with httpx.Client(timeout=self.timeout) as client:
            for s in tqdm(starts, desc=f"embedding with {self.model}", unit="batch", disable=not self.progress):
                parts.append(self._post(client, texts[s : s + self.batch_size]))
        return checked_embeddings(normalise_rows(np.concatenate(parts)), len(texts), f"{self.base_url} ({self.model})")

    __call__ = embed


class ModuleEmbedder:
    """A learner's embedder (a module or object with `embed(texts)`), validated on every call."""

    def __init__(self, target, name: str | None = None):
        embed = getattr(target, "embed", None) if not callable(target) or hasattr(target, "embed") else target
        if embed is None:
            raise TypeError(f"{target!r} has no embed(texts) function")
        self._embed: Callable = embed
        self.name = name or getattr(target, "__name__", type(target).__name__)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        return checked_embeddings(self._embed(texts), len(texts), self.name)

    __call__ = embed


def chroma_embedding_function(embedder=None):
    """A ChromaDB embedding function backed by `embedder` (default: MiniLM), so that
    Chroma uses our model and never downloads its default one."""
    from chromadb.api.types import EmbeddingFunction

    class ChromaEmbeddingFunction(EmbeddingFunction):
        def __init__(self, wrapped=None):
            self.embedder = wrapped if wrapped is not None else MiniLMEmbedder()

        def __call__(self, input):
            return [row for row in self.embedder.embed(list(input))]

        @staticmethod
        def name() -> str:
            return "aigc-bench"

        def get_config(self):
            return {"embedder": getattr(self.embedder, "name", type(self.embedder).__name__)}

        @staticmethod
        def build_from_config(config):
            return ChromaEmbeddingFunction()

        def default_space(self):
            return "cosine"

    return ChromaEmbeddingFunction(embedder)
