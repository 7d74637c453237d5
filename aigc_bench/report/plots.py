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
    """Checkpoints and speed over successive runs, per implementation: skills passing,
    and the geometric mean of benchmark speed relative to the peer in the same run
    (peer time / own time), which stays comparable as the machine's load changes."""
    import numpy as np

    from .data import benchmarks_frame, skill_status

    if tests.empty or tests["run_id"].nunique() < 2:
        return None
    order = tests.groupby("run_id")["started"].first().sort_values()
    position = {run_id: i for i, run_id in enumerate(order.index)}
    points = []
    for run_id, t in tests.groupby("run_id", sort=False):
        s = skill_status(t)
        for impl, g in s.groupby("impl"):
            points.append({"run": position[run_id], "impl": impl, "passing": int((g["status"] == "pass").sum())})
    bench = benchmarks_frame(tests)
    speed = []
    if len(bench):
        own = bench[bench["ratio"].notna() & ~bench["is_peer"]]
        for (run_id, label), g in own.groupby(["run_id", "label"]):
            speed.append({"run": position[run_id], "impl": label, "speed": float(np.exp(np.log(g["ratio"]).mean()))})
    if not points:
        return None
    fig, axes = plt.subplots(1, 2 if speed else 1, figsize=(11 if speed else 7, 3.4), squeeze=False)
    for impl, g in pd.DataFrame(points).sort_values("run").groupby("impl"):
        axes[0][0].plot(g["run"], g["passing"], marker="o", label=impl)
    axes[0][0].set(xlabel="run (oldest to newest)", ylabel="skills passing", title="checkpoints")
    axes[0][0].legend(fontsize=7)
    if speed:
        for impl, g in pd.DataFrame(speed).sort_values("run").groupby("impl"):
            axes[0][1].plot(g["run"], g["speed"], marker="o", label=impl)
        axes[0][1].axhline(1.0, color="grey", lw=0.8)
        axes[0][1].set(xlabel="run (oldest to newest)", ylabel="speed vs peer (geomean)", title="speed", yscale="log")
        axes[0][1].legend(fontsize=7)
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


IMAGE_SUFFIXES = (".svg", ".png")


def section_files(name: str, items: list[dict], out_dir: Path) -> list[dict]:
    """Pictures a suite drew itself and listed in its section's "files" (the latest
    run's), copied next to the report so that the site stays self-contained."""
    import shutil

    shown = []
    for item in items[-1:]:
        data = item["data"]
        files = data.get("files", []) if isinstance(data, dict) else []
        for f in files:
            f = Path(f)
            if f.suffix in IMAGE_SUFFIXES and f.exists() and not (f.suffix == ".png" and f.with_suffix(".svg") in map(Path, files)):
                target = out_dir / f"{name}-{f.name}"
                shutil.copyfile(f, target)
                shown.append({"src": f"{out_dir.name}/{target.name}", "caption": f"{name}: {f.stem.replace('_', ' ')}"})
    return shown


def latency_cdfs(items: list[dict], out_dir: Path) -> list[dict]:
    from ..loadtest.plot import plot_latency_cdfs

    sections = {f"{i['run_id']}#{n}": i["data"] for n, i in enumerate(items[-4:]) if isinstance(i["data"], dict) and i["data"].get("requests")}
    if not sections:
        return []
    path = plot_latency_cdfs(sections, out_dir / "loadtest-latency-cdf.svg")
    return [{"src": f"{out_dir.name}/{Path(path).name}", "caption": "load test: latency CDFs (TTFT, TPOT, ITL, E2EL)"}]


def quantization_tradeoff(items: list[dict], out_dir: Path) -> list[dict]:
    from ..quantization import plot_precision_vs_compression

    shown = []
    for item in items[-2:]:
        points = item["data"].get("points", []) if isinstance(item["data"], dict) else []
        for metric in ("mean_cosine", "mean_layer_sqnr_db"):
            usable = [p for p in points if p.get(metric) is not None]
            if usable:
                path = plot_precision_vs_compression(usable, out_dir / f"quantization-{metric}-{len(shown)}.svg", metric=metric)
                shown.append({"src": f"{out_dir.name}/{Path(path).name}", "caption": f"quantization: {metric.replace('_', ' ')} against bits per weight"})
    return shown


SECTION_PLOTTERS.update({"loadtest": "aigc_bench.report.plots:latency_cdfs", "quantization": "aigc_bench.report.plots:quantization_tradeoff"})


def for_section(name: str, items: list[dict], out_dir: Path) -> list[dict]:
    shown = section_files(name, items, out_dir)
    target = SECTION_PLOTTERS.get(name)
    if not target:
        return shown
    module, function = target.split(":")
    try:
        return shown + (getattr(importlib.import_module(module), function)(items, out_dir) or [])
    except Exception as exc:  # a plot must never take the report down
        return shown + [{"src": "", "caption": f"plot for {name} failed: {type(exc).__name__}: {exc}"}]
