"""Builds the native kernels (native/*.c) with cffi on install; everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup

families = sorted(p.stem for p in Path("native").glob("*.c") if p.with_suffix(".h").exists())
setup(cffi_modules=[f"native/build.py:ffi_{family}" for family in families])
