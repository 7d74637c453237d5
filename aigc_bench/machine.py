"""What machine and software a run happened on (for every record: timings are only
comparable on the same machine)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from functools import lru_cache

# CPU features the suites care about (SIMD kernels choose on these at run time).
INTERESTING_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile")
VERSIONED_PACKAGES = ("aigc-bench", "numpy", "torch", "transformers", "numba", "cffi", "pytest", "pytest-benchmark", "hypothesis", "pandas", "chromadb", "faiss-cpu", "hnswlib", "sentence-transformers", "ragas", "openai", "tree-sitter")


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def has_flags(*flags: str) -> bool:
    return all(f in cpu_flags() for f in flags)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def describe() -> dict:
    """The machine section of a run record."""
    try:
        import psutil

        memory = psutil.virtual_memory().total
    except Exception:
        memory = None
    return {
        "hostname": platform.node(),
        "cpu": cpu_model(),
        "arch": platform.machine(),
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "flags": sorted(f for f in INTERESTING_FLAGS if f in cpu_flags()),
        "os": platform.platform(),
    }
