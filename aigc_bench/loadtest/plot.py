"""Plots of load test results for reports (PNG, matplotlib's Agg backend).

Both functions take run-record "loadtest" sections (LoadResult.record_section()),
so the HTML report can draw them from any run record:

    plot_latency_cdfs({"8 streams": section8, "1 stream": section1}, "reports/latency_cdf.png")
    plot_throughput_vs_concurrency([section1, section2, section8], "reports/throughput.png")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PANELS = (("ttft", "TTFT"), ("tpot", "TPOT"), ("itl", "ITL"), ("e2el", "E2EL"))


def _figure(*args, **kwargs):
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def _save(fig, path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_samples(section: dict) -> dict[str, np.ndarray]:
    """Milliseconds per metric from a section's requests (successful ones; TPOT for > 1 token)."""
    done = [r for r in section["requests"] if r["success"]]
    tpot = [(r["e2el"] - r["ttft"]) / (r["output_tokens"] - 1) for r in done if r["output_tokens"] > 1]
    return {
        "ttft": 1000 * np.array([r["ttft"] for r in done]),
        "tpot": 1000 * np.array(tpot),
        "itl": 1000 * np.array([g for r in done for g in r["itl"]]),
        "e2el": 1000 * np.array([r["e2el"] for r in done]),
    }


def plot_latency_cdfs(sections: dict[str, dict], path: str | Path) -> Path:
    """One panel per metric (TTFT, TPOT, ITL, E2EL), one empirical CDF per labelled run."""
    fig, axes = _figure(1, 4, figsize=(16, 3.6))
    for label, section in sections.items():
        samples = latency_samples(section)
        for ax, (key, title) in zip(axes, PANELS):
            values = np.sort(samples[key])
            if values.size:
                ax.step(values, np.arange(1, values.size + 1) / values.size, where="post", label=label)
    for ax, (key, title) in zip(axes, PANELS):
        ax.set_title(f"{title} CDF")
        ax.set_xlabel("ms")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("fraction of requests (ITL: of gaps)")
    axes[-1].legend(loc="lower right", fontsize="small")
    return _save(fig, path)


def plot_throughput_vs_concurrency(sections: list[dict], path: str | Path) -> Path:
    """Output-token throughput and median TPOT against max concurrency."""
    rows = sorted((s["metrics"].get("max_concurrency") or 0, s["metrics"]) for s in sections)
    xs = [c for c, _ in rows]
    fig, ax = _figure(figsize=(6, 4))
    ax.plot(xs, [m["output_throughput"] for _, m in rows], "o-", label="output tokens/s")
    ax.set_xlabel("max concurrency (0 = unlimited)")
    ax.set_ylabel("output tokens/s")
    twin = ax.twinx()
    twin.plot(xs, [m["median_tpot_ms"] for _, m in rows], "s--", color="tab:red", label="median TPOT (ms)")
    twin.set_ylabel("median TPOT (ms)")
    ax.grid(alpha=0.3)
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="upper left", fontsize="small")
    return _save(fig, path)
