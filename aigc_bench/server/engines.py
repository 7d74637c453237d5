"""The generation engine behind the server.

The server drives any object with the engine interface of docs/engine.md
(impls/numpy/engine.py):

    add_request(prompt_ids, max_new_tokens, temperature=0.0, top_p=1.0, seed=None, stop_ids=()) -> request_id
    step() -> [(request_id, token_id, finished), ...]   # one decode step for every running request
    abort(request_id)
    has_work() -> bool

`load_generation_engine` builds it from a model directory or a named config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


DEFAULT_ENGINE_MODULE = "impls.numpy.engine"


@dataclass
class LoadedEngine:
    engine: Any
    model_id: str  # the name clients pass as `model`
    n_ctx: int
    vocab_size: int
    source: str  # how it was built, for /v1/models and logs


def load_generation_engine(model_dir: str | None = None, config: str = "small", seed: int = 0, max_batch: int = 8, weights: str = "fp32") -> LoadedEngine:
    """The engine of impls/numpy/engine.py over a model loaded from `model_dir` or built
    from the named config with seeded random weights.

    AIGC_BENCH_ENGINE=package.module serves another module with the same interface
    (`load_model`, `Engine`), e.g. a learner's engine."""
    import importlib
    import os

    module_name = os.environ.get("AIGC_BENCH_ENGINE", DEFAULT_ENGINE_MODULE)
    engine_module = importlib.import_module(module_name)

    options = {} if weights == "fp32" else {"weights": weights}  # other engines may not take `weights`
    model = engine_module.load_model(model_dir=model_dir, config=config, seed=seed, **options)
    cfg = model.config
    n_ctx = int(_config_value(cfg, "n_ctx", "n_positions", "max_position_embeddings"))
    vocab = int(_config_value(cfg, "vocab_size"))
    name = f"aigc-{config}" if model_dir is None else _dir_name(model_dir)
    return LoadedEngine(engine_module.Engine(model, max_batch=max_batch), name, n_ctx, vocab, module_name)


def _config_value(cfg, *names):
    for n in names:
        value = cfg.get(n) if isinstance(cfg, dict) else getattr(cfg, n, None)
        if value is not None:
            return value
    raise AttributeError(f"the model config has none of {names}")


def _dir_name(path: str) -> str:
    from pathlib import Path

    return Path(path).resolve().name
