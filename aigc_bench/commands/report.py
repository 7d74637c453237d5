"""Build the static HTML report from run records (files or folders; default reports/runs).

Partial records (a run killed halfway) are reported with what is missing."""

from __future__ import annotations

import sys
from pathlib import Path

NAME = "report"
HELP = "write the HTML report from run records"


def add_arguments(parser):
    parser.add_argument("records", nargs="*", default=["reports/runs"], help="run records or folders of them (default: reports/runs)")
    parser.add_argument("--out", default="reports", help="output folder (default: reports)")
    parser.add_argument("--latest", type=int, default=0, metavar="N", help="only the N most recent runs (default: all)")


def run(args) -> int:
    from aigc_bench import records
    from aigc_bench.report import build_site

    missing = [p for p in args.records if not Path(p).exists()]
    if missing:
        print(f"error: no such record or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    found = records.find(args.records)
    if not found:
        print(f"error: no run records (*.json, *.jsonl) under {', '.join(args.records)}; run `aigc-bench run` first", file=sys.stderr)
        return 2
    chosen = found[-args.latest:] if args.latest else found
    index = build_site(chosen, Path(args.out), history=found)
    print(f"report for {len(chosen)} run(s): {index.resolve()}")
    return 0
