"""How fast this machine can go, so that kernel timings can be read as "% of the limit".

- `measure()`: a short calibration (well under a second): the single-core peak fp32 FMA
  throughput (AVX2 and, where present, AVX-512: register-only FMA chains in native/calibrate.c)
  and the memory bandwidth of one core (STREAM's triad a = b + s*c, on arrays far larger than
  L2), with the BLAS NumPy is using and its kernel (OpenBLAS picks one per CPU, and the
  OPENBLAS_CORETYPE variable overrides it). Benchmark sessions record it as the "calibration"
  section of the run record.
- `timed_together({name: fn})`: best-of-N wall time of each call, in interleaved rounds
  (other processes only ever make a run slower, and hit every peer alike).
- `perf_counters(...)`: cycles and instructions of a kernel from `perf stat`, or why not.
- `roofline_plot(...)`: attained GFLOP/s against arithmetic intensity under the two roofs,
  saved as PNG and SVG (reports reuse it with the data of the "roofline" section).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import machine, native

TRIAD_ELEMENTS = 16 << 20  # 3 arrays x 64 MiB: memory, not cache, on any current L2 and most L3 shares


def blas_info() -> list[dict]:
    """NumPy's BLAS libraries as threadpoolctl sees them (OpenBLAS's kernel is `architecture`)."""
    try:
        from threadpoolctl import threadpool_info

        return [{k: v for k, v in lib.items() if k in ("internal_api", "version", "architecture", "num_threads", "threading_layer")} for lib in threadpool_info()]
    except Exception as exc:  # threadpoolctl missing or confused: say so rather than guess
        return [{"error": str(exc)}]


def measure(fma_iterations: int = 4_000_000, triad_elements: int = TRIAD_ELEMENTS, repeats: int = 5) -> dict:
    """This core's peak fp32 FMA rate and triad bandwidth (best of `repeats`)."""
    started = time.perf_counter()
    ffi, lib = native.load("calibrate")
    avx2 = lib.peak_fma_gflops(8, fma_iterations, repeats)
    avx512 = lib.peak_fma_gflops(16, fma_iterations, repeats)
    a = np.empty(triad_elements, np.float32)
    b = np.full(triad_elements, 1.0, np.float32)
    c = np.full(triad_elements, 2.0, np.float32)
    a[:] = 0.0  # touch every page before timing
    bandwidth = lib.triad_gbytes(*(ffi.cast("float *", x.ctypes.data) for x in (a, b, c)), triad_elements, repeats)
    if not np.all(a[:: max(1, triad_elements // 97)] == 7.0):
        raise RuntimeError("the triad calibration computed wrong values: its timing cannot be trusted")
    result = {
        "peak_gflops_fp32_avx2": avx2 or None,
        "peak_gflops_fp32_avx512": avx512 or None,
        "peak_gflops_fp32": max(avx2, avx512) or None,  # the machine's single-core limit
        "triad_gbytes_per_s": bandwidth,
        "triad_working_set_bytes": 3 * 4 * triad_elements,
        "method": (
            f"peak: 12 register-only FMA chains, {fma_iterations} iterations, best of {repeats}; "
            f"bandwidth: STREAM triad a = b + 3c on 3 x {triad_elements * 4 >> 20} MiB float32, "
            f"counting 12 bytes per element, best of {repeats}; one core"
        ),
        "cpu": machine.cpu_model(),
        "flags": machine.describe()["flags"],
        "blas": blas_info(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "seconds": None,
    }
    result["seconds"] = time.perf_counter() - started
    return result


def timed_together(calls: dict, repeats: int = 5, min_time: float = 0.02) -> dict:
    """Best seconds per call of each zero-argument callable, measured in interleaved rounds
    (A, B, C, A, B, C, ...) so that a burst of load from other processes hits every peer
    alike: ratios between peers stay meaningful on a shared machine."""
    for fn in calls.values():
        fn()  # warm up
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(repeats):
        for name, fn in calls.items():
            n, start = 0, time.perf_counter()
            while True:
                fn()
                n += 1
                elapsed = time.perf_counter() - start
                if elapsed >= min_time:
                    break
            best[name] = min(best[name], elapsed / n)
    return best


# --------------------------------------------------------------------------- perf stat

_PERF_EVENTS = ("cycles", "instructions")


@lru_cache(maxsize=1)
def perf_unavailable_reason() -> str | None:
    """None when `perf stat` can count cycles and instructions here; otherwise why not."""
    perf = shutil.which("perf")
    if perf is None:
        return "perf is not installed (linux-perf)"
    try:
        run = subprocess.run([perf, "stat", "-x", ",", "-e", ",".join(_PERF_EVENTS), "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"perf stat could not run: {exc}"
    counts = _parse_perf(run.stderr)
    missing = [e for e in _PERF_EVENTS if counts.get(e) is None]
    if run.returncode != 0 or missing:
        detail = run.stderr.strip().splitlines()
        return (
            f"perf stat reports {', '.join(missing) or 'an error'} as not supported/counted here "
            f"(no hardware performance counters visible: a virtual machine or perf_event_paranoid="
            f"{_read('/proc/sys/kernel/perf_event_paranoid')}): {'; '.join(detail[-2:])}"
        )
    return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "?"


def _parse_perf(stderr: str) -> dict:
    counts = {}
    for line in stderr.splitlines():
        fields = line.split(",")
        if len(fields) >= 3:
            event = re.sub(r"[:/].*$", "", fields[2])
            if event in _PERF_EVENTS:
                counts[event] = int(fields[0]) if fields[0].strip().isdigit() else None
    return counts


def perf_counters(setup: str, statement: str, calls: int) -> dict:
    """Cycles and instructions per call of `statement` (Python source, after `setup`), from
    `perf stat` on a child interpreter, minus the same child making no calls. Returns
    {"supported": False, "reason": ...} where perf cannot count: no numbers are made up."""
    reason = perf_unavailable_reason()
    if reason:
        return {"supported": False, "reason": reason}

    def count(n: int) -> dict:
        code = f"{setup}\nfor _ in range({n}):\n    {statement}\n"
        run = subprocess.run(["perf", "stat", "-x", ",", "-e", ",".join(_PERF_EVENTS), sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            raise RuntimeError(f"perf stat on the kernel failed: {run.stderr[-500:]}")
        return _parse_perf(run.stderr)

    base, loaded = count(0), count(calls)
    result = {"supported": True, "calls": calls}
    for event in _PERF_EVENTS:
        result[f"{event}_per_call"] = (loaded[event] - base[event]) / calls
    result["ipc"] = result["instructions_per_call"] / result["cycles_per_call"] if result["cycles_per_call"] else None
    return result


# --------------------------------------------------------------------------- roofline


def roofline_plot(points: list[dict], peak_gflops: float, bandwidth_gbs: float, path: str | Path, title: str = "Roofline") -> list[Path]:
    """Save a roofline plot as `path` with .png and .svg suffixes; returns the files.

    points: dicts with "label", "intensity" (flop per byte of compulsory memory traffic) and
    "gflops" (attained); optional "group" picks the marker colour (a kernel family) and
    "annotate": False leaves a point unlabelled (keeps a dense sweep readable)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    intensities = [p["intensity"] for p in points] or [1.0]
    lo, hi = min(intensities + [peak_gflops / bandwidth_gbs]) / 4, max(intensities + [peak_gflops / bandwidth_gbs]) * 4
    x = np.geomspace(lo, hi, 200)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.loglog(x, np.minimum(peak_gflops, bandwidth_gbs * x), "k-", lw=2, label=f"roof: {peak_gflops:.0f} GFLOP/s, {bandwidth_gbs:.1f} GB/s")
    groups = sorted({p.get("group", p["label"]) for p in points})
    colours = plt.cm.tab10(np.linspace(0, 1, max(len(groups), 1)))
    for colour, group in zip(colours, groups):
        mine = [p for p in points if p.get("group", p["label"]) == group]
        ax.scatter([p["intensity"] for p in mine], [p["gflops"] for p in mine], color=colour, label=group, zorder=3)
        for p in mine:
            if p.get("annotate", True):
                ax.annotate(p["label"], (p["intensity"], p["gflops"]), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("arithmetic intensity (flop / byte of compulsory memory traffic)")
    ax.set_ylabel("attained GFLOP/s (GOP/s for integer kernels)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    files = []
    for suffix in (".png", ".svg"):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=120, bbox_inches="tight")
        files.append(target)
    plt.close(fig)
    return files
