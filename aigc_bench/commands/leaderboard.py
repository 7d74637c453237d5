"""Rank learners run on the same machine: correct skills, speedup over the reference,
KernelBench's fast_p, geometric-mean speedup; ties and missing skills shown explicitly."""

from __future__ import annotations

import sys
from pathlib import Path

NAME = "leaderboard"
HELP = "rank learners from run records (correctness, speedup, fast_p)"


def add_arguments(parser):
    parser.add_argument("records", nargs="*", default=["reports/runs"], help="run records or folders (default: reports/runs)")
    parser.add_argument("--reference", default="numpy", help="the implementation speedups are measured against (default numpy)")
    parser.add_argument("--html", default=None, metavar="FILE", help="also write the leaderboard as an HTML page")


def run(args) -> int:
    from aigc_bench import records
    from aigc_bench.report import data, leaderboard

    found = records.find(args.records)
    if not found:
        print(f"error: no run records under {', '.join(args.records)}", file=sys.stderr)
        return 2
    table, summary, warnings = leaderboard.build(data.load_records(found), reference=args.reference)
    for w in warnings:
        print(f"WARNING: {w}")
    if summary.empty:
        print("no learner results in these records")
        return 1
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print()
    print(table.pivot(index="skill", columns="learner", values="state").to_string())
    if args.html:
        Path(args.html).write_text(
            "<!doctype html><meta charset='utf-8'><title>aigc-bench leaderboard</title>"
            + "".join(f"<p><b>warning:</b> {w}</p>" for w in warnings)
            + "<h1>Leaderboard</h1>" + summary.to_html(index=False, float_format=lambda v: f"{v:.3g}")
            + "<h2>Skills</h2>" + table.to_html(index=False, float_format=lambda v: f"{v:.3g}")
        )
        print(f"wrote {args.html}")
    return 0
