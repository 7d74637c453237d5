"""Serve the engine behind an OpenAI-compatible HTTP API on loopback.

    aigc-bench serve --config small --port 8000
    aigc-bench serve --model path/to/model_dir --port 8000

Then point any OpenAI client at http://127.0.0.1:8000/v1 (docs/serving.md).
"""

from __future__ import annotations

NAME = "serve"
HELP = "OpenAI-compatible server (/v1/chat/completions, /v1/completions, /v1/embeddings, /metrics) over the engine"


def add_arguments(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config", default=None, help="a named model config with seeded random weights (default: small)")
    source.add_argument("--model", default=None, metavar="DIR", help="a model directory to load instead")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (--config)")
    parser.add_argument("--weights", choices=["fp32", "int8", "int4"], default="fp32", help="weight format of the engine (default fp32)")
    parser.add_argument("--max-batch", type=int, default=8, help="most requests decoded together (continuous batching)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads of the engine's matrix products (default 1: on a small machine the event loop keeps a core)")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])


def run(args) -> int:
    import sys
    from pathlib import Path

    if args.model is not None and not Path(args.model).is_dir():
        print(f"aigc-bench serve: --model {args.model}: no such directory", file=sys.stderr)
        return 2
    if not 0 <= args.port < 65536:
        print(f"aigc-bench serve: --port {args.port} is not a TCP port", file=sys.stderr)
        return 2
    if args.blas_threads < 1:
        print("aigc-bench serve: --blas-threads must be at least 1", file=sys.stderr)
        return 2
    if args.max_batch < 1:
        print("aigc-bench serve: --max-batch must be at least 1", file=sys.stderr)
        return 2

    import uvicorn
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.blas_threads, user_api="blas")

    from aigc_bench.server.app import create_app
    from aigc_bench.server.engines import load_generation_engine

    try:
        loaded = load_generation_engine(args.model, args.config or "small", seed=args.seed, max_batch=args.max_batch, weights=args.weights)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"aigc-bench serve: cannot load the model: {exc}", file=sys.stderr)
        return 2
    app = create_app(loaded)
    print(f"aigc-bench serve: model {loaded.model_id} (engine {loaded.source}, n_ctx {loaded.n_ctx}) on http://{args.host}:{args.port}/v1", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0
