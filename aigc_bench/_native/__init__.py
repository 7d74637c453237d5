"""Compiled kernel modules, built from native/ on install (see aigc_bench.native)."""
