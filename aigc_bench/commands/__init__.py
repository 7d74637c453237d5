"""Subcommands of `aigc-bench`, one module each (see aigc_bench.cli)."""
