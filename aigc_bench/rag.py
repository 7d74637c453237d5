"""Shared pieces of the weeks 5-6 RAG skills (not skills themselves).

- `Chunk`: what loaders and chunkers return and indexes store: the text and
  where it came from (path, language, symbol, 1-based inclusive line span,
  content hash), so that every answer can cite `path:start-end`.
- `count_tokens` / `token_offsets`: the all-MiniLM-L6-v2 WordPiece tokenizer
  through the `tokenizers` library (the budget unit of the chunkers and of
  context compression; the embedder sees exactly these tokens).
- `suite_embedder()`: MiniLM sentence embeddings as a collaborator handed to
  an implementation (see its docstring for why it runs in a helper thread).
- `backend_module(skill)`: the skill module of a backend, for the commands.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

from .models import minilm_dir

# MiniLM was trained on sequences of at most 256 word pieces; longer texts are
# truncated by the embedder, so chunk budgets stay below it (context header included).
EMBEDDER_MAX_TOKENS = 256
DEFAULT_CHUNK_TOKENS = 200


@dataclass(frozen=True)
class Chunk:
    """A piece of a document with the metadata needed to cite it.

    `text` lies on lines `start_line`..`end_line` (1-based, inclusive) of the
    file at `path` (for a PDF: of the text extracted from it, pages joined by
    newlines), starting on the first and ending on the last; line-based chunks
    hold those lines whole, token windows may start or end mid-line. `context` is what encloses it (module, class, heading path) and is
    prepended when embedding, never counted in the line span."""

    text: str
    path: str
    language: str
    start_line: int
    end_line: int
    symbol: str = ""  # function/class name, "Class.method", a heading path, "page 3"
    kind: str = "text"  # "file", "function", "class", "method", "section", "page", "window", ...
    context: str = ""
    content_hash: str = ""  # sha256 of `text`; filled in by __post_init__ when empty
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self.text))

    @property
    def citation(self) -> str:
        return f"{self.path}:{self.start_line}-{self.end_line}"

    @property
    def chunk_id(self) -> str:
        """Stable id: the same text at the same place gets the same id."""
        return f"{self.path}:{self.start_line}-{self.end_line}:{self.content_hash[:16]}"

    @property
    def embedding_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text

    def to_metadata(self) -> dict:
        """Flat metadata for a vector store (strings and ints only)."""
        d = asdict(self)
        d.pop("text")
        d.pop("extra")
        return d

    @classmethod
    def from_metadata(cls, text: str, meta: dict) -> "Chunk":
        known = {k: meta[k] for k in ("path", "language", "start_line", "end_line", "symbol", "kind", "context", "content_hash") if k in meta}
        return cls(text=text, **known)

    def with_(self, **changes) -> "Chunk":
        return replace(self, **changes)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def line_count(text: str) -> int:
    """Lines as an editor numbers them: 'a\\nb' and 'a\\nb\\n' both have 2."""
    return len(text.splitlines()) if text else 0


# --------------------------------------------------------------------------- tokenizer


@lru_cache(maxsize=1)
def _tokenizer():
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def token_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each MiniLM word piece of `text`
    (no [CLS]/[SEP]); whitespace belongs to no token."""
    if not text:
        return []
    return [tuple(o) for o in _tokenizer().encode(text, add_special_tokens=False).offsets]


def count_tokens(text: str) -> int:
    """Number of MiniLM word pieces in `text` (no special tokens)."""
    if not text:
        return 0
    return len(_tokenizer().encode(text, add_special_tokens=False).ids)


def count_tokens_batch(texts: list[str]) -> list[int]:
    if not texts:
        return []
    return [len(e.ids) for e in _tokenizer().encode_batch(list(texts), add_special_tokens=False)]


# --------------------------------------------------------------------------- embeddings


_HELPER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigc-embed")


class SuiteEmbedder:
    """MiniLM embeddings (float32 [n, 384], L2-normalised) handed to an implementation.

    The harness forbids an implementation to call torch/transformers while it
    is under test (it must not hand its work to a reference). The embedder is
    not the implementation's work but a collaborator the suite gives it (as a
    user's system would), so it runs in a helper thread, which the guard's
    per-thread profiler does not watch. Results are cached by text. `model_dir`:
    a MiniLM-shaped model of one's own (see aigc_bench.code_embedder)."""

    dimension = 384

    def __init__(self, batch_size: int = 64, model_dir=None):
        from .models import MiniLMEmbedder

        self._embedder = MiniLMEmbedder(batch_size=batch_size, model_dir=model_dir)
        self.name = self._embedder.name
        self._cache: dict[str, object] = {}
        self.calls = 0  # texts actually embedded (cache misses), for incremental-index checks

    def __call__(self, texts):
        import numpy as np

        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = run_outside_guard(self._embedder.embed)(missing)
            self.calls += len(missing)
            for t, v in zip(missing, vectors):
                self._cache[t] = v
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)

    embed = __call__


def run_outside_guard(fn):
    """Wrap a collaborator (a model the caller loaded) so that it runs in the helper
    thread, as SuiteEmbedder does, and an implementation may call it."""

    def call(*args, **kwargs):
        return _HELPER.submit(fn, *args, **kwargs).result()

    return call


@lru_cache(maxsize=1)
def suite_embedder() -> SuiteEmbedder:
    return SuiteEmbedder()


# --------------------------------------------------------------------------- backends


def backend_module(skill: str, backend: str = "numpy"):
    """`impls.<backend>.<skill>`: the commands run the reference backend unless told otherwise."""
    return importlib.import_module(f"impls.{backend}.{skill}")
