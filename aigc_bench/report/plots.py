"""Plots for the report, drawn with matplotlib into SVG files beside the pages.

Each function returns what the page needs to show the plot ({"src", "caption"})
and draws nothing when there is nothing to draw. Sections recorded by suites
(calibration/roofline, ann, quantization, loadtest, ...) are drawn by the
plotter registered for their name in SECTION_PLOTTERS; a section without one is
shown as a table only.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

# section name -> "module:function" taking (items, out_dir) and returning [{"src", "caption"}]
SECTION_PLOTTERS: dict[str, str] = {}


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, format="svg")
    plt.close(fig)
    return f"{path.parent.name}/{path.name}"


def history(tests: pd.DataFrame, path: Path) -> str | None:
    """Skills passing per implementation over successive runs."""
    from .data import skill_status

    if tests.empty or tests["run_id"].nunique() < 2:
        return None
    points = []
    for run_id, t in tests.groupby("run_id", sort=False):
        s = skill_status(t)
        for impl, g in s.groupby("impl"):
            points.append({"started": t["started"].iloc[0], "impl": impl, "passing": int((g["status"] == "pass").sum())})
    if not points:
        return None
    frame = pd.DataFrame(points).sort_values("started")
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for impl, g in frame.groupby("impl"):
        ax.plot(range(len(g)), g["passing"], marker="o", label=impl)
    ax.set_xlabel("run (oldest to newest)")
    ax.set_ylabel("skills passing")
    ax.legend(fontsize=8)
    return _save(fig, path)


def scaling_curves(bench: pd.DataFrame, out_dir: Path) -> list[dict]:
    """Time against size for benchmarks that declare extra_info {"curve": name, "size": n}."""
    if bench is None or bench.empty:
        return []
    rows = [
        {"curve": e["curve"], "size": e["size"], "label": label, "mean": mean}
        for e, label, mean in zip(bench["bench_extra"], bench["label"], bench["bench_mean"])
        if "curve" in e and "size" in e
    ]
    figures = []
    for curve, g in pd.DataFrame(rows).groupby("curve") if rows else []:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for label, line in g.sort_values("size").groupby("label"):
            ax.plot(line["size"], line["mean"], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("size")
        ax.set_ylabel("time per call (s)")
        ax.set_title(curve)
        ax.legend(fontsize=8)
        src = _save(fig, out_dir / f"scaling-{curve}.svg")
        figures.append({"src": src, "caption": f"{curve}: time against size (log-log)"})
    return figures


def for_section(name: str, items: list[dict], out_dir: Path) -> list[dict]:
    target = SECTION_PLOTTERS.get(name)
    if not target:
        return []
    module, function = target.split(":")
    try:
        return getattr(importlib.import_module(module), function)(items, out_dir) or []
    except Exception as exc:  # a plot must never take the report down
        return [{"src": "", "caption": f"plot for {name} failed: {type(exc).__name__}: {exc}"}]
