"""Compare two runs: outcome changes per test, and timing ratios flagged as regressions
only when slower by more than --factor AND statistically significant (Welch's t-test).

Exit status 1 when a test broke or a benchmark regressed, so CI can gate on it."""

from __future__ import annotations

import sys

NAME = "compare"
HELP = "compare two run records: outcome changes and significant timing regressions"


def add_arguments(parser):
    parser.add_argument("run_a", help="the baseline run record (.json or .jsonl)")
    parser.add_argument("run_b", help="the new run record")
    parser.add_argument("--factor", type=float, default=1.1, help="slowdown factor that counts as a regression (default 1.1)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")


def run(args) -> int:
    from aigc_bench import records
    from aigc_bench.report.compare import compare, format_text

    try:
        a, b = records.load(args.run_a), records.load(args.run_b)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for label, r in (("A", a), ("B", b)):
        for problem in r.get("problems", []):
            print(f"note: run {label} ({r.get('run_id')}): {problem}")
    result = compare(a, b, factor=args.factor, alpha=args.alpha)
    print(format_text(result, args.factor))
    return 1 if len(result.regressions) or len(result.broken) else 0
