"""Generate tokens with the inference engine (impls/numpy/engine.py): GPT-2 from a local
HF checkpoint directory, or seeded random weights for a named config.

    aigc-bench generate --config small --prompt-ids 101,7592,102 --max-new-tokens 20
    aigc-bench generate --model path/to/gpt2 --tokenizer path/to/gpt2 --prompt "Hello" --max-new-tokens 20
    aigc-bench generate --config 124M --weights int8 --prompt-ids 1,2,3 --max-new-tokens 32 --threads 1

Prints the new token ids (and the text, with a tokenizer), then prefill time and
decode tokens/s. Nothing is downloaded: --model and --tokenizer are local folders.
"""

from __future__ import annotations

import sys
import time

NAME = "generate"
HELP = "generate tokens with the NumPy inference engine and print tokens/s"


def add_arguments(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", metavar="DIR", help="a local HF GPT-2 checkpoint directory (config.json + *.safetensors)")
    source.add_argument("--config", default="small", help="seeded random weights for a named config: small (default), tiny, 124M")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (with --config) and of sampling")
    prompt = parser.add_mutually_exclusive_group(required=True)
    prompt.add_argument("--prompt-ids", metavar="IDS", help="comma-separated prompt token ids, e.g. 1,2,3")
    prompt.add_argument("--prompt", metavar="TEXT", help="a text prompt (needs --tokenizer)")
    parser.add_argument("--tokenizer", metavar="DIR", help="a local HF tokenizer directory for --prompt and for printing text")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--weights", choices=("fp32", "int8", "int4"), default="fp32", help="weight format (default fp32)")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the library's own choice)")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _prompt_ids(args, tokenizer) -> list[int]:
    if args.prompt_ids is not None:
        try:
            ids = [int(t) for t in args.prompt_ids.replace(" ", "").split(",") if t]
        except ValueError:
            raise ValueError(f"--prompt-ids must be comma-separated integers, got {args.prompt_ids!r}") from None
        return ids
    if tokenizer is None:
        raise ValueError("--prompt needs --tokenizer DIR (or give --prompt-ids)")
    return list(tokenizer(args.prompt, add_special_tokens=False)["input_ids"])


def run(args) -> int:
    from contextlib import nullcontext
    from pathlib import Path

    from impls.numpy.engine import check_prompt, load_model, sample_token

    if args.tokenizer and not Path(args.tokenizer).is_dir():
        return _error(f"tokenizer directory {args.tokenizer} does not exist")
    tokenizer = None
    if args.tokenizer:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    try:
        model = load_model(args.model, config=args.config, seed=args.seed, weights=args.weights)
        ids = check_prompt(model, _prompt_ids(args, tokenizer), args.max_new_tokens)
    except (ValueError, TypeError, FileNotFoundError, KeyError) as exc:
        return _error(str(exc))
    cfg = model.config
    print(f"model: {args.model or args.config} ({cfg.n_layer} layers, width {cfg.n_embd}, vocab {cfg.vocab_size}), weights {args.weights}")
    limits = nullcontext()
    if args.threads:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(args.threads)
    import numpy as np

    rng = np.random.default_rng(args.seed)
    with limits:
        cache = model.new_cache(ids.size + args.max_new_tokens)
        start = time.perf_counter()
        logits = model.forward(ids, cache, 0, all_logits=False)
        prefill = time.perf_counter() - start
        tokens = [sample_token(logits, args.temperature, args.top_p, rng)]
        start = time.perf_counter()
        while len(tokens) < args.max_new_tokens:
            logits = model.forward([tokens[-1]], cache, ids.size + len(tokens) - 1, all_logits=False)
            tokens.append(sample_token(logits, args.temperature, args.top_p, rng))
        decode = time.perf_counter() - start
    print("tokens: " + ",".join(str(t) for t in tokens))
    if tokenizer is not None:
        print("text: " + tokenizer.decode(tokens))
    print(f"prefill: {ids.size} tokens in {prefill * 1e3:.1f} ms ({ids.size / prefill:.1f} tokens/s)")
    if len(tokens) > 1:
        print(f"decode: {len(tokens) - 1} tokens in {decode:.3f} s ({(len(tokens) - 1) / decode:.1f} tokens/s)")
    return 0
