"""Builds the native kernels (native/*.c) with cffi on install; everything else is in pyproject.toml.

Each kernel family compiles into aigc_bench/_native/. A family that fails to
compile does not fail the install: the error is printed here, and again, with
the compiler's output, by the tests that need that family (aigc_bench.native
rebuilds at run time when the installed build is missing or stale)."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithNativeKernels(build_py):
    def run(self):
        super().run()
        sys.path.insert(0, str(ROOT))
        from aigc_bench.native import builder, families

        for family in families():
            try:
                builder(family).compile(tmpdir=str(ROOT), verbose=False)
                print(f"aigc-bench: built native/{family}.c")
            except Exception as exc:  # noqa: BLE001 - report and go on (see the docstring)
                print(f"aigc-bench: WARNING: native/{family}.c did not build: {exc}", file=sys.stderr)


setup(cmdclass={"build_py": BuildWithNativeKernels})
