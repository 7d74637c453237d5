"""Prompt engineering tools (weeks 7-8).

  aigc-bench prompt ab --template NAME --a v1 --b v2 --dataset FILE.jsonl
  aigc-bench prompt ab --task code_review --a v1 --b v3
  aigc-bench prompt optimize --task bug_detection --budget 40

`ab` runs two versions of a template from a prompt registry (--registry, default
reports/prompts; a --task's three built-in variants are stored there as versions
1-3 on first use) on the same items through an OpenAI-compatible endpoint
(--base-url/--model or OPENAI_BASE_URL/OPENAI_MODEL), scores each item, and prints
the means, the paired bootstrap interval of the difference, the p-value and its
test (McNemar for pass/fail scores, else a paired permutation test), the minimum
detectable effect and the verdict. `optimize` hill-climbs over prompt
configurations (8 mutation strategies) within --budget LLM calls and prints the best
prompt, its score and the trajectory. Both add a section ("prompt_ab",
"prompt_optimize") to a run record in reports/runs for `aigc-bench report`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

NAME = "prompt"
HELP = "prompt A/B tests (paired statistics) and the prompt optimizer against an endpoint"


def _endpoint_arguments(parser):
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible API root (default $OPENAI_BASE_URL), e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", default=None, help="model name (default $OPENAI_MODEL)")
    parser.add_argument("--max-tokens", type=int, default=256, help="completion length per call (default 256)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N items")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record-dir", default="reports/runs", help="run record directory (default reports/runs)")
    parser.add_argument("--no-record", action="store_true", help="do not write a run record")


def add_arguments(parser):
    sub = parser.add_subparsers(dest="prompt_command", metavar="SUBCOMMAND")
    ab = sub.add_parser("ab", help="compare two versions of a prompt template on the same items")
    ab.add_argument("--a", required=True, help="version A (v1, 2, ...)")
    ab.add_argument("--b", required=True, help="version B")
    source = ab.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help='JSON lines: {"input": ..., "expected": ...} (fields named like the template variables)')
    source.add_argument("--task", help="a built-in task: code_generation, bug_detection, code_review")
    ab.add_argument("--template", default=None, help="template name in the registry (default: the task's name, or the dataset file's stem)")
    ab.add_argument("--registry", default="reports/prompts", help="prompt registry folder (default reports/prompts)")
    ab.add_argument("--alpha", type=float, default=0.05)
    ab.add_argument("--resamples", type=int, default=10_000, help="bootstrap / permutation resamples (default 10000)")
    _endpoint_arguments(ab)
    opt = sub.add_parser("optimize", help="search prompt configurations within a budget of LLM calls")
    opt.add_argument("--task", required=True, help="a built-in task: code_generation, bug_detection, code_review")
    opt.add_argument("--budget", type=int, required=True, help="LLM calls the search may make (evaluations and rewrites)")
    _endpoint_arguments(opt)


def _error(exc: Exception) -> int:
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)  # str(KeyError) adds quotes
    print(f"error: {message}", file=sys.stderr)
    return 2


def _version_number(text: str) -> int:
    digits = text.lower().removeprefix("v")
    if not digits.isdigit():
        raise KeyError(f"version {text!r}: write v1, v2, ... or 1, 2, ...")
    return int(digits)


def _client(args):
    from aigc_bench.llm import OpenAICompatibleLLM

    base_url = args.base_url or os.environ.get("OPENAI_BASE_URL")
    model = args.model or os.environ.get("OPENAI_MODEL")
    if not base_url:
        raise ValueError("no endpoint: pass --base-url or set OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1 from `aigc-bench serve --config small --port 8000`)")
    if not model:
        raise ValueError("no model: pass --model or set OPENAI_MODEL (our server's is aigc-small)")
    return OpenAICompatibleLLM(base_url, model, max_tokens=args.max_tokens)


def _limited(task, limit, minimum=1):
    if limit is not None:
        if limit < minimum:
            raise ValueError(f"--limit {limit}: needs at least {minimum} item(s)")
        task = dataclasses.replace(task, items=task.items[:limit])  # a copy: the built-in task stays whole
    return task


def _record(args, command: str, section: str, data: dict) -> None:
    if args.no_record:
        return
    from aigc_bench import machine, records

    writer = records.RunWriter(Path(args.record_dir), {"machine": machine.describe(), "versions": machine.versions(), "argv": sys.argv, "command": command})
    writer.add_section(section, data)
    writer.finish()
    print(f"run record: {writer.final}")


def run(args) -> int:
    if args.prompt_command == "ab":
        return run_ab(args)
    if args.prompt_command == "optimize":
        return run_optimize(args)
    print("usage: aigc-bench prompt {ab,optimize} ... (see aigc-bench prompt --help)", file=sys.stderr)
    return 2


def run_ab(args) -> int:
    import numpy as np

    from aigc_bench import prompt_tasks
    from impls.numpy.ab_testing import ab_verdict
    from impls.numpy.prompt_templates import PromptRegistry

    try:
        task = prompt_tasks.get_task(args.task) if args.task else prompt_tasks.dataset_task(args.dataset)
        task = _limited(task, args.limit, minimum=2)  # paired statistics need two items
        template = args.template or task.name
        registry = PromptRegistry(args.registry)
        if args.task and template == task.name:
            prompt_tasks.seed_registry(registry, task)
        version_a = registry.get(template, _version_number(args.a))
        version_b = registry.get(template, _version_number(args.b))
        for item in task.items:  # every item renders under both versions before any call is paid for
            prompt_tasks.fill(version_a["text"], item), prompt_tasks.fill(version_b["text"], item)
        llm = _client(args)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        return _error(exc)
    source = f"task {args.task}" if args.task else f"dataset {args.dataset}"
    print(f"prompt A/B: {template} v{version_a['version']} (A) vs v{version_b['version']} (B) on {len(task.items)} items of {source}; model {llm.model} at {llm.base_url}")
    try:
        scores_a = prompt_tasks.score_template(task, version_a["text"], llm)
        scores_b = prompt_tasks.score_template(task, version_b["text"], llm)
    except Exception as exc:  # the endpoint: connection refused, unknown model, ...
        print(f"error: the language model call failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    result = ab_verdict(scores_a, scores_b, np.random.default_rng(args.seed), alpha=args.alpha, n_resamples=args.resamples)
    level = round(100 * (1 - args.alpha))
    print(f"  mean A         {result['mean_a']:.3f}")
    print(f"  mean B         {result['mean_b']:.3f}")
    print(f"  difference     {result['difference']:+.3f} (B - A), {level}% CI [{result['ci'][0]:+.3f}, {result['ci'][1]:+.3f}] (paired bootstrap)")
    print(f"  p-value        {result['p_value']:.4f} ({result['test']})")
    print(f"  MDE            {result['mde']:.3f} (smallest difference detected with 80% power at n = {result['n']})")
    if scores_a == scores_b:
        print("  note           every item scored the same under A and B: these items cannot tell the versions apart (the MDE of 0 only reflects zero spread)")
    print(f"  verdict        {result['verdict']}")
    print("  item scores    " + ", ".join(f"{item.get('id', i)}: {a:g}/{b:g}" for i, (item, a, b) in enumerate(zip(task.items, scores_a, scores_b))))
    _record(args, "prompt ab", "prompt_ab", {
        "template": template, "a": version_a["version"], "b": version_b["version"], "a_hash": version_a["hash"], "b_hash": version_b["hash"],
        "source": source, "model": llm.model, "base_url": llm.base_url, "max_tokens": args.max_tokens,
        "scores_a": scores_a, "scores_b": scores_b, **result, "ci": list(result["ci"]),
    })
    return 0


def run_optimize(args) -> int:
    from aigc_bench import prompt_tasks
    from impls.numpy.prompt_optimizer import optimize, render_config

    try:
        task = _limited(prompt_tasks.get_task(args.task), args.limit)
        if args.budget < len(task.items):
            raise ValueError(f"--budget {args.budget} cannot evaluate even the initial prompt ({len(task.items)} items, one call each)")
        llm = _client(args)
    except (KeyError, ValueError) as exc:
        return _error(exc)

    def evaluate(config, client):
        scores = [task.score(item, client(render_config(config, item["input"]), temperature=0.0, seed=0)) for item in task.items]
        return sum(scores) / len(scores)

    print(f"prompt optimizer: task {task.name} ({len(task.items)} items), budget {args.budget} LLM calls; model {llm.model} at {llm.base_url}")
    try:
        result = optimize({"instruction": task.instruction}, evaluate, llm, args.budget, pool=task.examples, seed=args.seed)
    except Exception as exc:
        print(f"error: the language model call failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("trajectory:")
    print(f"  {'step':>4}  {'strategy':<20} {'score':>6} {'best':>6}")
    for t in result["trajectory"]:
        print(f"  {t['step']:>4}  {t['strategy']:<20} {t['score']:>6.3f} {t['best_score']:>6.3f}")
    best_prompt = render_config(result["best"], "{input}")
    print(f"best score {result['score']:.3f} after {result['calls']} of {args.budget} LLM calls")
    print("best prompt:")
    print("\n".join("  | " + line for line in best_prompt.splitlines()))
    _record(args, "prompt optimize", "prompt_optimize", {
        "task": task.name, "items": len(task.items), "budget": args.budget, "calls": result["calls"], "score": result["score"],
        "best": {**result["best"], "examples": [list(e) for e in result["best"].get("examples", [])]}, "best_prompt": best_prompt,
        "trajectory": result["trajectory"], "model": llm.model, "base_url": llm.base_url, "max_tokens": args.max_tokens,
    })
    return 0
