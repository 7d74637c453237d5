"""The static HTML report: pandas reads run records, jinja2 templates (reports/templates/)
draw the pages, matplotlib draws the plots as SVG files beside them. No server and
no JavaScript: the site opens from disk.

Pages: index (checkpoint progress per week, runs, history), checkpoints (the
roadmap's checklists per week), matrix (skill x implementation), failures
(messages and replay commands), performance (benchmarks beside their peers,
recorded metrics, scaling curves), sections (calibration, retrieval,
quantization, load tests ...), runs (machines and versions).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import shlex
from pathlib import Path

import pandas as pd

from .. import registry
from . import data, plots

TEMPLATES = Path(__file__).resolve().parents[2] / "reports" / "templates"
NAV = [
    ("index.html", "progress"),
    ("checkpoints.html", "checkpoints"),
    ("matrix.html", "correctness"),
    ("failures.html", "failures"),
    ("performance.html", "performance"),
    ("sections.html", "evaluations"),
    ("runs.html", "machines"),
]
CELL_CLASS = {"pass": "pass", "fail": "fail", "skip": "skip"}


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=jinja2.select_autoescape(["html"]))


def _when(timestamp) -> str:
    if timestamp is None or (isinstance(timestamp, float) and math.isnan(timestamp)):
        return "?"
    return dt.datetime.fromtimestamp(float(timestamp)).strftime("%Y-%m-%d %H:%M:%S")


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.{digits}g}"
    return str(value)


def _fmt_seconds(s: float) -> str:
    if s is None or math.isnan(s):
        return ""
    for unit, factor in (("s", 1), ("ms", 1e3), ("µs", 1e6), ("ns", 1e9)):
        if s * factor >= 1:
            return f"{s * factor:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def _anchor(*parts) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(str(p) for p in parts))


def latest_per_impl(tests: pd.DataFrame) -> pd.DataFrame:
    """For each implementation, the tests of the latest run that ran it."""
    if tests.empty:
        return tests
    runs = tests.groupby("impl", dropna=False)["started"].transform("max")
    return tests[tests["started"] == runs]


def build_site(record_paths, out_dir, history=None) -> Path:
    """Write the report for these records into out_dir; returns index.html's path.

    `history`: more records (e.g. every run so far) for the progress-over-runs plot."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plots").mkdir(exist_ok=True)
    recs = data.load_records(record_paths)
    problems = [f"{r['run_id']}: {p}" for r in recs for p in r.get("problems", [])]
    if not recs:
        problems.append("no run records found: run `aigc-bench run` (or pytest) first")
    tests = data.tests_frame(recs)
    current = latest_per_impl(tests)
    status = data.skill_status(current)
    impls = sorted(status["impl"].unique()) if len(status) else []
    skills = registry.skills()
    env = _environment()
    common = {"nav": NAV, "problems": problems, "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "n_records": len(recs)}

    def render(name: str, **context):
        (out / name).write_text(env.get_template(name).render(page=name, title=dict(NAV)[name], **common, **context))

    cells = {(r.skill, r.impl): r for r in status.itertuples()}

    def cell(skill: str, impl: str) -> dict:
        r = cells.get((skill, impl))
        if r is None:
            return {"status": None, "cls": "none"}
        return {"status": r.status, "cls": CELL_CLASS[r.status], "passed": r.passed, "failed": r.failed, "skipped": r.skipped, "anchor": _anchor(skill, impl)}

    # Which skills each week has: from the contracts, plus any skill seen in a record.
    week_skills: dict[int, list[str]] = {}
    for s in skills.values():
        for w in s.weeks:
            week_skills.setdefault(w, []).append(s.name)
    for row in current[current["skill"].notna()].itertuples():
        for w in row.weeks:
            if row.skill not in week_skills.setdefault(w, []):
                week_skills[w].append(row.skill)

    week_rows = []
    for week in range(1, 13):
        names = week_skills.get(week, [])
        row_cells = {}
        for impl in impls:
            states = [cells.get((n, impl)) for n in names]
            ran = [s for s in states if s is not None and s.status != "skip"]
            passed = sum(s.status == "pass" for s in ran)
            row_cells[impl] = {"passed": passed, "total": len(ran), "cls": ("pass" if ran and passed == len(ran) else "fail" if ran else "none")}
        week_rows.append({"week": week, "cells": row_cells})

    runs = []
    for r in recs:
        t = tests[tests["run_id"] == r["run_id"]]
        runs.append({"run_id": r["run_id"], "started": _when(r.get("started")), "machine": data.machine_key(r), "tests": len(t), "passed": int((t["outcome"] == "passed").sum()), "failed": int(t["outcome"].isin(["failed", "error"]).sum()), "skipped": int((t["outcome"] == "skipped").sum()), "complete": r.get("complete", False)})

    history_plot = None
    if history:
        hist_tests = data.tests_frame(data.load_records(history))
        history_plot = plots.history(hist_tests, out / "plots" / "history.svg")
    render("index.html", impls=impls, weeks=week_rows, runs=runs, history_plot=history_plot)

    blocks = []
    for week in range(1, 13):
        names = week_skills.get(week, [])
        if not names:
            continue
        rows = []
        for n in sorted(names):
            s = skills.get(n)
            rows.append({"name": n, "summary": s.summary if s else "", "roadmap": s.roadmap if s else "", "cells": {i: cell(n, i) for i in impls}})
        blocks.append({"week": week, "skills": rows})
    render("checkpoints.html", impls=impls, blocks=blocks)

    all_skills = sorted(set(status["skill"])) if len(status) else []
    render("matrix.html", impls=impls, rows=[{"name": n, "cells": {i: cell(n, i) for i in impls}} for n in all_skills])

    failed = current[current["outcome"].isin(["failed", "error"])]
    groups = []
    for (skill, impl), g in failed.groupby([failed["skill"].fillna("(harness)"), failed["impl"].fillna("-")], sort=True):
        seed = next((r.get("seed") for r in recs if r["run_id"] == g["run_id"].iloc[0]), None)
        groups.append({"skill": skill, "impl": impl, "anchor": _anchor(skill, impl), "failures": [{"nodeid": f.nodeid, "message": f.message, "replay": _replay(f.nodeid, f.message, seed)} for f in g.itertuples()]})
    render("failures.html", groups=groups)

    bench = data.benchmarks_frame(tests)
    bench_groups = []
    for name, g in (bench.groupby("bench_group", sort=True) if len(bench) else []):
        extra_cols = sorted({k for e in g["bench_extra"] for k in e if k not in ("peer", "name")})
        bench_groups.append({
            "name": name,
            "extra_cols": extra_cols,
            "rows": [{"label": b.label, "is_peer": b.is_peer, "mean": _fmt_seconds(b.bench_mean), "stddev": _fmt_seconds(b.bench_stddev), "rounds": b.bench_rounds, "peer": b.peer, "ratio": "" if math.isnan(b.ratio) else f"{b.ratio:.2f} ({b.ratio_low:.2f}–{b.ratio_high:.2f})", "extra": {k: _fmt(b.bench_extra.get(k)) for k in extra_cols}} for b in g.itertuples()],
        })
    metrics = [{"nodeid": t.nodeid, "name": k, "value": _fmt(v.get("value")), "unit": v.get("unit", ""), "better": v.get("better")} for t in tests.itertuples() for k, v in t.metrics.items()]
    scaling = plots.scaling_curves(bench, out / "plots")
    render("performance.html", groups=bench_groups, metrics=metrics, scaling_plots=scaling)

    section_blocks = []
    for name, items in sorted(data.sections(recs).items()):
        section_blocks.append({"name": _anchor(name), "title": name, "plots": plots.for_section(name, items, out / "plots"), "table": _section_table(items)})
    render("sections.html", sections=section_blocks)

    render("runs.html", runs=[_run_info(r) for r in recs])
    return out / "index.html"


def _replay(nodeid: str, message: str, seed) -> str:
    found = re.search(r"^replay: (.+)$", message or "", re.M)
    if found:
        return found.group(1)
    return f"pytest {shlex.quote(nodeid)}" + (f" --hypothesis-seed={seed}" if seed is not None else "")


def _section_table(items: list[dict]) -> str:
    """A section's data as HTML tables (lists of rows become tables; dicts become key/value rows)."""
    parts = []
    for item in items[-3:]:  # the latest few runs' data
        value = item["data"]
        if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
            for key, rows in value.items():
                parts.append(f"<h3>{html.escape(str(key))} <span class='muted'>({html.escape(item['run_id'])})</span></h3>" + _table(rows))
        else:
            parts.append(f"<h3 class='muted'>{html.escape(item['run_id'])}</h3>" + _table(value))
    return "\n".join(parts)


def _table(value) -> str:
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        frame = pd.DataFrame(value)
    elif isinstance(value, dict):
        frame = pd.DataFrame([{"key": k, "value": v if not isinstance(v, (dict, list)) else str(v)[:300]} for k, v in value.items()])
    elif isinstance(value, list):
        frame = pd.DataFrame({"value": value})
    else:
        return f"<pre>{html.escape(str(value)[:2000])}</pre>"
    return frame.head(200).to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0, escape=True)


def _run_info(r: dict) -> dict:
    m = r.get("machine") or {}
    memory = m.get("memory_bytes")
    return {
        "run_id": r["run_id"],
        "started": _when(r.get("started")),
        "machine": data.machine_key(r),
        "flags": " ".join(m.get("flags", [])),
        "memory": f"{memory / 2**30:.1f} GiB" if memory else "?",
        "impls": ", ".join(f"{i['name']}" + (f" (unavailable: {i['unavailable']})" if i.get("unavailable") else "") for i in r.get("implementations", [])),
        "seed": r.get("seed"),
        "argv": " ".join(shlex.quote(a) for a in r.get("argv", [])),
        "versions": ", ".join(f"{k} {v}" for k, v in (r.get("versions") or {}).items()),
        "problems": "; ".join(r.get("problems", [])),
    }
