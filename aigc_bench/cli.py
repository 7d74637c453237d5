"""The `aigc-bench` command.

Each subcommand is a module in `aigc_bench/commands/` defining

    NAME = "report"                       # the subcommand
    HELP = "one line for --help"
    def add_arguments(parser): ...        # argparse arguments
    def run(args) -> int: ...             # the exit status

and is found automatically; heavy imports belong inside `run`, so that
`aigc-bench --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aigc-bench",
        description="Test-driven benchmarks for the LLM engineering roadmap: run the checkpoint suites, "
        "scaffold learners, build reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if not hasattr(module, "NAME"):
            continue
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
