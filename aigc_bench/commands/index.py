"""Index a code base for search and question answering: source code in 10+ languages
(chunked along its syntax tree), Markdown (by sections) and PDF text, embedded with
all-MiniLM-L6-v2 into a persistent ChromaDB collection. Re-running it re-embeds only
the files that changed and drops the ones deleted."""

from __future__ import annotations

import os
import sys
import time

NAME = "index"
HELP = "index a code base (incremental) for `aigc-bench search` and `aigc-bench ask`"


def add_repo_arguments(parser) -> None:
    parser.add_argument("--index-dir", default=None, help="where the index lives (default: REPO/.aigc-bench-index)")
    parser.add_argument("--backend", default="numpy", help="implementation of the RAG skills to use (default: numpy, the reference)")
    parser.add_argument("--embedder", default=os.environ.get("AIGC_BENCH_EMBEDDER"), metavar="MODEL",
                        help="embedding model: a sentence-transformers folder, or 'code' for MiniLM tuned on code by "
                             "`aigc-bench tune-embedder` (default: $AIGC_BENCH_EMBEDDER, else all-MiniLM-L6-v2)")


def add_arguments(parser):
    parser.add_argument("path", help="the repository (a folder) to index")
    add_repo_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def open_repo(path, args):
    """The CodeQA system over `path`, or None after printing why not (exit status 2)."""
    from aigc_bench.rag_system import CodeQA

    try:
        model_dir = embedder_folder(args.embedder)
        return CodeQA(path, index_dir=args.index_dir, backend=args.backend, model_dir=model_dir)
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def embedder_folder(choice: str | None):
    """The model folder named by --embedder (None: the base MiniLM)."""
    if not choice:
        return None
    if choice == "code":
        from aigc_bench.code_embedder import cached_model, model_dir

        folder = cached_model()
        if folder is None:
            raise FileNotFoundError(f"no code-tuned MiniLM in {model_dir()}: run `aigc-bench tune-embedder` first (about 20 minutes on 2 cores)")
        return folder
    from aigc_bench.models import model_folder

    return model_folder(choice)


def indexed_repo(args, text: str, what: str):
    """For `search` and `ask`: the repository's CodeQA with its index brought up to date,
    or None after naming the problem (exit status 2)."""
    qa = open_repo(args.repo, args)
    if qa is None:
        return None
    if not text.strip():
        print(f"error: the {what} is empty", file=sys.stderr)
        return None
    return qa if synced(qa, progress=sys.stderr.isatty()) is not None else None


def synced(qa, progress: bool):
    """Bring the index up to date: its stats, or None after naming why not (an index
    built with another embedder)."""
    try:
        return qa.index(progress=progress)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def run(args) -> int:
    qa = open_repo(args.path, args)
    if qa is None:
        return 2
    started = time.perf_counter()
    stats = synced(qa, progress=not args.quiet)
    if stats is None:
        return 2
    seconds = time.perf_counter() - started
    if stats["files"] == 0:
        print(f"error: no indexable file under {args.path} (code in a known language, Markdown or PDF)", file=sys.stderr)
        return 2
    print(f"indexed {stats['files']} files ({stats['lines']} lines) in {seconds:.1f} s into {qa.index_dir}: "
          f"{stats['added']} added, {stats['updated']} updated, {stats['deleted']} deleted, "
          f"{stats['unchanged']} unchanged, {stats['chunks_embedded']} chunks embedded")
    return 0
