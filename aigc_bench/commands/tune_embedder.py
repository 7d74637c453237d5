"""Fine-tune all-MiniLM-L6-v2 for code search on the Python packages installed here
(CodeSearchNet-style pairs: a docstring's summary -> its function; in-batch
negatives), offline. The model is cached and used with `--embedder code`:

    aigc-bench tune-embedder                     # about 20 minutes on 2 cores
    aigc-bench index path/to/repo --embedder code
    aigc-bench tune-embedder --exclude jinja2    # keep a package out, to evaluate on it
"""

from __future__ import annotations

import sys

NAME = "tune-embedder"
HELP = "fine-tune MiniLM for code search on installed packages (offline); use it with --embedder code"
SECONDS_PER_STEP = 5.3  # measured: 200 steps of 32 pairs in 1,063 s on this project's 2-core machine


def add_arguments(parser):
    parser.add_argument("--exclude", default="", metavar="PACKAGES", help="comma-separated packages never to train on")
    parser.add_argument("--steps", type=int, default=None, help="training steps of 32 pairs (default 200)")
    parser.add_argument("--out", default=None, help="save the model here instead of the cache (then pass this folder to --embedder)")
    parser.add_argument("--force", action="store_true", help="train again even if the cached model exists")


def run(args) -> int:
    from dataclasses import replace

    from aigc_bench import code_embedder

    recipe = code_embedder.Recipe(exclude=tuple(p.strip() for p in args.exclude.split(",") if p.strip()))
    if args.steps is not None:
        if args.steps < 1:
            print(f"error: --steps must be >= 1, got {args.steps}", file=sys.stderr)
            return 2
        recipe = replace(recipe, steps=args.steps)
    cached = code_embedder.cached_model(recipe)
    if cached and not args.out and not args.force:
        print(f"already tuned: {cached}")
        return 0
    minutes = round(1 + recipe.steps * SECONDS_PER_STEP / 60)
    print(f"fine-tuning all-MiniLM-L6-v2 for code search: {recipe.steps} steps of {recipe.batch_size} pairs from up to "
          f"{len(recipe.trained_on)} installed packages (about {minutes} minutes on 2 cores) into {args.out or code_embedder.model_dir(recipe)}", flush=True)
    try:
        path = code_embedder.tune(recipe, out=args.out, progress=sys.stderr.isatty())
    except ValueError as exc:  # too few documented functions installed
        print(f"error: {exc}", file=sys.stderr)
        return 2
    record = code_embedder.tuning_record(path)
    losses = record["losses"]
    print(f"tuned on {record['pairs']} pairs from {len(record['pairs_per_package'])} packages in {record['seconds']:.0f} s "
          f"(loss {sum(losses[:10]) / len(losses[:10]):.3f} -> {sum(losses[-10:]) / len(losses[-10:]):.3f})")
    hint = "--embedder code" if path == code_embedder.model_dir(code_embedder.Recipe()) else f"--embedder {path}"
    print(f"saved {path}\nuse it: aigc-bench index REPO {hint}")
    return 0
