"""A code-search embedder made here: all-MiniLM-L6-v2 fine-tuned on installed packages.

MiniLM learned from pairs of English sentences; a question about code and the
code that answers it look less alike to it. A short contrastive fine-tune on
CodeSearchNet-style pairs (a docstring's summary -> its function without the
docstring, `aigc_bench.codesearch`) mined from packages already installed here
teaches it that mapping, with no download. The RAG suite measures the gain on a
package the tune never saw (docs/week05_06.md has the figures).

    path = ensure_tuned(Recipe(exclude=("jinja2",)))    # trained once, then cached
    embed = MiniLMEmbedder(model_dir=path)

`aigc-bench tune-embedder` runs it from the command line. A tuned model lives in
`$AIGC_BENCH_CACHE/models/minilm-code-<recipe hash>` (default cache
~/.cache/aigc-bench), next to `aigc-bench-tuning.json`, which records the recipe,
the pairs per package, the loss curve and the time; the folder appears only
when training has finished, so an interrupted tune leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .codesearch import CodePair, code_pairs
from .contract import cache_root

# Widely used packages with many documented functions, in several domains
# (graphs, data frames, numerics, plotting, tooling, networking, ML).
TRAIN_PACKAGES = (
    "networkx", "pandas", "sklearn", "scipy", "matplotlib", "numpy", "rich", "sqlalchemy", "pip",
    "setuptools", "docutils", "nltk", "IPython", "langchain_core", "huggingface_hub", "requests", "httpx",
    "aiohttp", "pydantic", "_pytest", "hypothesis", "numba", "datasets", "sympy", "torch", "transformers",
    "openai", "fsspec", "urllib3",
)
RECORD_NAME = "aigc-bench-tuning.json"


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the tuned weights; its hash names the cached model."""

    exclude: tuple[str, ...] = ()  # packages never to train on (the one you evaluate on)
    packages: tuple[str, ...] = TRAIN_PACKAGES
    pairs_per_package: int = 300  # a seeded sample per package, so no package dominates
    steps: int = 200
    batch_size: int = 32  # pairs per step; the other 31 codes are each query's negatives
    lr: float = 5e-5
    max_seq_length: int = 128  # word pieces kept per text (MiniLM allows 256; half is faster to train and to index)
    seed: int = 0

    @property
    def trained_on(self) -> tuple[str, ...]:
        excluded = {p.lower() for p in self.exclude}
        return tuple(p for p in self.packages if p.lower() not in excluded)

    def key(self) -> str:
        """Hash of what the weights depend on: excluding a package not in the list changes nothing."""
        settings = {**asdict(self), "packages": self.trained_on}
        del settings["exclude"]
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def model_dir(recipe: Recipe = Recipe()) -> Path:
    return cache_root() / "models" / f"minilm-code-{recipe.key()}"


def training_pairs(recipe: Recipe) -> tuple[list[CodePair], dict[str, int]]:
    """The shuffled training pairs and how many came from each package (packages that
    are not installed, or have no documented function, are left out)."""
    pairs, per_package = [], {}
    for package in recipe.trained_on:
        try:
            found = code_pairs(package, max_pairs=recipe.pairs_per_package, seed=recipe.seed)
        except (ValueError, ModuleNotFoundError):
            continue
        pairs += found
        per_package[package] = len(found)
    needed = recipe.batch_size * 4
    if len(pairs) < needed:
        raise ValueError(f"only {len(pairs)} training pairs in the installed packages {sorted(per_package)}; "
                         f"a tune needs at least {needed}: install more of {', '.join(recipe.packages)}")
    random.Random(recipe.seed).shuffle(pairs)
    return pairs, per_package


def contrastive_fit(model, pairs: list[CodePair], steps: int, batch_size: int, lr: float, seed: int = 0,
                    warmup: float = 0.1, progress: bool = False) -> list[float]:
    """Train a SentenceTransformer on (query, code) pairs with in-batch negatives
    (MultipleNegativesRankingLoss), AdamW with linear warm-up and decay; `steps`
    full batches, cycling through the pairs. Returns the loss of each step."""
    import torch
    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.losses import MultipleNegativesRankingLoss
    from tqdm import tqdm

    if len(pairs) < batch_size:
        raise ValueError(f"{len(pairs)} pairs cannot fill one batch of {batch_size}")
    torch.manual_seed(seed)
    loss_fn = MultipleNegativesRankingLoss(model)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr)
    warmup_steps = max(1, round(warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup_steps) * max(0.0, (steps - s) / steps))
    per_epoch = len(pairs) // batch_size  # full batches only: every query needs its negatives
    order, losses = list(range(len(pairs))), []
    rng = random.Random(seed)
    tokenize = getattr(model, "preprocess", None) or model.tokenize  # renamed in sentence-transformers 5
    model.train()
    with tqdm(total=steps, desc="fine-tuning", unit="step", disable=not progress) as bar:
        for step in range(steps):
            if step % per_epoch == 0:
                rng.shuffle(order)
            start = (step % per_epoch) * batch_size
            batch = [pairs[i] for i in order[start : start + batch_size]]
            features = [tokenize([p.query for p in batch]), tokenize([p.code for p in batch])]
            loss = loss_fn(features, None)
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
            bar.update(1)
    model.eval()
    return losses


def tune(recipe: Recipe = Recipe(), out: Path | None = None, progress: bool = False) -> Path:
    """Fine-tune a fresh MiniLM with `recipe` and save it to `out` (default: the cache).
    Returns the model folder (loadable by sentence-transformers and MiniLMEmbedder)."""
    from sentence_transformers import SentenceTransformer

    from .models import minilm_dir

    out = Path(out) if out else model_dir(recipe)
    pairs, per_package = training_pairs(recipe)
    started = time.perf_counter()
    model = SentenceTransformer(str(minilm_dir()), device="cpu")
    model.max_seq_length = recipe.max_seq_length
    losses = contrastive_fit(model, pairs, recipe.steps, recipe.batch_size, recipe.lr, recipe.seed, progress=progress)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save(str(partial))
    record = {"base_model": "all-MiniLM-L6-v2", "recipe": asdict(recipe), "pairs_per_package": per_package,
              "pairs": len(pairs), "losses": losses, "seconds": time.perf_counter() - started}
    (partial / RECORD_NAME).write_text(json.dumps(record, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return out


def cached_model(recipe: Recipe = Recipe()) -> Path | None:
    """The folder of `recipe`'s model if a finished tune is in the cache, else None."""
    path = model_dir(recipe)
    return path if (path / RECORD_NAME).is_file() else None


def ensure_tuned(recipe: Recipe = Recipe(), progress: bool = False) -> Path:
    """The cached model of `recipe`, training it first if it is not there yet."""
    return cached_model(recipe) or tune(recipe, progress=progress)


def tuning_record(path) -> dict | None:
    """What `tune` recorded about a model folder (None for a model not tuned here)."""
    record = Path(path) / RECORD_NAME
    return json.loads(record.read_text()) if record.is_file() else None
