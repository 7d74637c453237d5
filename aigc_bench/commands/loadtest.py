"""Load-test an OpenAI-compatible endpoint: TTFT, TPOT, ITL, E2EL, throughput, goodput.

    aigc-bench loadtest --base-url http://127.0.0.1:8000/v1 --model aigc-small \\
        --num-requests 64 --request-rate 8 --max-concurrency 8 --input-len 32 --output-len 64

Metrics follow vLLM's benchmark_serving (docs/serving.md has the formulas).
The result goes into a run record (reports/runs/, section "loadtest") read by
`aigc-bench report`, optionally into --output JSON and a latency CDF --plot PNG.
"""

from __future__ import annotations

NAME = "loadtest"
HELP = "measure TTFT/TPOT/ITL/E2EL and throughput of an OpenAI-compatible endpoint"


def add_arguments(parser):
    parser.add_argument("--base-url", required=True, help="the API root, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", required=True, help="model name to send")
    parser.add_argument("--endpoint", choices=["completions", "chat"], default="completions")
    parser.add_argument("--num-requests", type=int, default=64)
    parser.add_argument("--request-rate", type=float, default=float("inf"), help="requests/s (default inf: all at once)")
    parser.add_argument("--arrival", choices=["fixed", "poisson", "gamma", "all"], default="poisson")
    parser.add_argument("--burstiness", type=float, default=1.0, help="gamma shape (1 = Poisson, < 1 burstier)")
    parser.add_argument("--max-concurrency", type=int, default=None)
    parser.add_argument("--max-rate", type=float, default=None, help="cap on requests/s (asyncio-throttle)")
    parser.add_argument("--warmup", type=int, default=1, help="requests sent first and not counted")
    parser.add_argument("--prompts-file", default=None, help="JSON lines {prompt, output_len} or one prompt per line")
    parser.add_argument("--input-len", type=int, default=32, help="words per generated prompt")
    parser.add_argument("--output-len", type=int, default=64, help="max_tokens per request")
    parser.add_argument("--percentiles", default="50,95,99")
    parser.add_argument("--goodput", nargs="*", default=[], metavar="METRIC:MS", help="SLOs, e.g. ttft:500 tpot:50 e2el:5000")
    parser.add_argument("--ignore-eos", action="store_true", help="send vLLM's ignore_eos (outputs reach --output-len; not for api.openai.com)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--output", default=None, help="write the metrics and per-request timings as JSON here")
    parser.add_argument("--plot", default=None, help="write a latency CDF PNG here (e.g. reports/loadtest_cdf.png)")
    parser.add_argument("--record-dir", default="reports/runs", help="run record directory (default reports/runs)")
    parser.add_argument("--no-record", action="store_true")


def _parse_slos(items) -> dict:
    slos = {}
    for item in items:
        name, sep, value = item.partition(":")
        if not sep or name not in ("ttft", "tpot", "e2el"):
            raise ValueError(f"--goodput takes ttft:MS, tpot:MS or e2el:MS, got {item!r}")
        slos[name] = float(value)
    return slos


def run(args) -> int:
    import json
    import sys
    from pathlib import Path

    from aigc_bench import machine, records
    from aigc_bench.loadtest import plot, prompts
    from aigc_bench.loadtest.runner import LoadConfig, format_metrics, run_load

    try:
        percentiles = tuple(float(p) for p in args.percentiles.split(",") if p.strip())
        slos = _parse_slos(args.goodput)
        if args.num_requests < 1:
            raise ValueError("--num-requests must be at least 1")
        if args.prompts_file:
            specs = prompts.prompts_from_file(args.prompts_file, args.num_requests, args.output_len)
        else:
            specs = prompts.generated_prompts(args.num_requests, args.input_len, args.output_len, args.seed)
        config = LoadConfig(args.base_url, args.model, specs, args.endpoint, args.request_rate, args.arrival, args.burstiness,
                            args.max_concurrency, args.max_rate, args.warmup, percentiles, slos or None, args.seed, args.ignore_eos, args.api_key)
        result = run_load(config)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"aigc-bench loadtest: {exc}", file=sys.stderr)
        return 2
    print(format_metrics(result.metrics, percentiles))
    failed = [r["error"] for r in result.requests if not r["success"]]
    if failed:
        print(f"{len(failed)} requests failed; first: {failed[0]}", file=sys.stderr)
    section = result.record_section()
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(section, indent=1))
    if args.plot:
        print(f"latency CDFs: {plot.plot_latency_cdfs({args.model: section}, args.plot)}")
    if not args.no_record:
        writer = records.RunWriter(Path(args.record_dir), {"machine": machine.describe(), "versions": machine.versions(), "argv": sys.argv, "command": "loadtest"})
        writer.add_section("loadtest", section)
        writer.finish(exitstatus=0)
        print(f"run record: {writer.final}")
    return 0 if not failed else 1
