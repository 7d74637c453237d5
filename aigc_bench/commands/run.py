"""Run the checkpoint suites on the bundled implementations (or the ones chosen), write a
run record under reports/runs/ and the HTML report under reports/.

Everything after `--` goes to pytest unchanged, e.g. `aigc-bench run -- -x -k week2`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NAME = "run"
HELP = "run every checkpoint suite, record the run, write the HTML report"


def add_arguments(parser):
    parser.add_argument("--impl", action="append", default=[], help="implementations to run (default: every available one)")
    parser.add_argument("--learner", action="append", default=[], help="a learner folder to run (repeatable)")
    parser.add_argument("--week", action="append", default=[], type=int, help="only week N (repeatable)")
    parser.add_argument("--bench", action="store_true", help="also run the benchmarks (slow)")
    parser.add_argument("--out", default="reports", help="report folder (default: reports); records go to OUT/runs")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")


def run(args) -> int:
    out = Path(args.out)
    record_dir = out / "runs"
    before = set(record_dir.glob("*.jsonl")) if record_dir.exists() else set()
    command = [sys.executable, "-m", "pytest", "suites", "--record-dir", str(record_dir), "-q", "-p", "no:cacheprovider"]
    command += [f"--impl={i}" for i in args.impl] + [f"--learner={p}" for p in args.learner]
    command += [f"--week={w}" for w in args.week] + (["--bench"] if args.bench else []) + list(args.pytest_args)
    print("$ " + " ".join(command), flush=True)
    # pytest runs in its own process: a crashing implementation cannot take the report with it.
    status = subprocess.call(command)
    new = sorted(set(record_dir.glob("*.jsonl")) - before)
    if not new:
        print("error: the run wrote no record (did pytest start?)", file=sys.stderr)
        return status or 2
    from aigc_bench.report import build_site

    index = build_site([new[-1]], out, history=sorted(record_dir.glob("*.jsonl")))
    print(f"report: {index}")
    return status
