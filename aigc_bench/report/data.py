"""Run records as pandas tables: what every report page and command reads.

Only reads records (see aigc_bench.records); never runs anything.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .. import records

OUTCOME_ORDER = ["failed", "error", "passed", "skipped"]


def load_records(paths) -> list[dict]:
    """Records from files or folders; a record that cannot be read is reported, not fatal."""
    loaded = []
    for path in records.find(paths):
        try:
            record = records.load(path)
        except (OSError, ValueError) as exc:
            record = {"run_id": Path(path).stem, "tests": [], "sections": {}, "complete": False, "problems": [f"{path} could not be read: {exc}"]}
        record.setdefault("run_id", Path(path).with_suffix("").name)
        record["path"] = str(path)
        loaded.append(record)
    return loaded


def machine_key(record: dict) -> str:
    """Timings compare only on the same machine: hostname + CPU model + core count."""
    m = record.get("machine") or {}
    return f"{m.get('hostname', '?')} / {m.get('cpu', '?')} / {m.get('cores', '?')} cores"


def tests_frame(recs: list[dict], include_mistakes: bool = False) -> pd.DataFrame:
    """One row per recorded test. Catalogued mistakes (a suite's own mutation tests,
    not implementations to rank) are left out unless asked for."""
    rows = []
    for r in recs:
        for t in r.get("tests", []):
            if not include_mistakes and str(t.get("impl") or "").startswith("mistake:"):
                continue
            bench = t.get("benchmark") or {}
            rows.append(
                {
                    "run_id": r["run_id"],
                    "started": r.get("started"),
                    "machine": machine_key(r),
                    "nodeid": t["nodeid"],
                    "test": base_test_id(t["nodeid"], t.get("impl")),
                    "outcome": t["outcome"],
                    "duration": t.get("duration", math.nan),
                    "weeks": tuple(t.get("weeks") or ()),
                    "skill": t.get("skill"),
                    "impl": t.get("impl"),
                    "message": t.get("message", ""),
                    "metrics": t.get("metrics") or {},
                    "bench_group": bench.get("group"),
                    "bench_mean": bench.get("mean", math.nan),
                    "bench_stddev": bench.get("stddev", math.nan),
                    "bench_rounds": bench.get("rounds", 0),
                    "bench_min": bench.get("min", math.nan),
                    "bench_extra": bench.get("extra_info") or {},
                }
            )
    columns = ["run_id", "started", "machine", "nodeid", "test", "outcome", "duration", "weeks", "skill", "impl", "message", "metrics", "bench_group", "bench_mean", "bench_stddev", "bench_rounds", "bench_min", "bench_extra"]
    return pd.DataFrame(rows, columns=columns)


def base_test_id(nodeid: str, impl: str | None) -> str:
    """The test's id without the implementation in its parameters, so that the same
    check can be lined up across implementations: `test_x[numpy-d8]` -> `test_x[d8]`."""
    if not impl or "[" not in nodeid:
        return nodeid
    head, params = nodeid[:-1].split("[", 1)
    parts = [p for p in params.split("-") if p != impl]
    return f"{head}[{'-'.join(parts)}]" if parts else head


def skill_status(tests: pd.DataFrame) -> pd.DataFrame:
    """One row per (skill, impl): passed/failed/skipped counts and a status:
    'pass' (every test that ran passed), 'fail' (any failed or errored), 'skip' (none ran)."""
    t = tests[tests["skill"].notna() & tests["impl"].notna()]
    if t.empty:
        return pd.DataFrame(columns=["skill", "impl", "passed", "failed", "skipped", "status"])
    counts = (
        t.assign(kind=t["outcome"].map({"passed": "passed", "failed": "failed", "error": "failed", "skipped": "skipped"}).fillna("failed"))
        .groupby(["skill", "impl", "kind"]).size().unstack("kind", fill_value=0)
    )
    for col in ("passed", "failed", "skipped"):
        if col not in counts:
            counts[col] = 0
    counts = counts[["passed", "failed", "skipped"]].reset_index()
    counts["status"] = np.where(counts["failed"] > 0, "fail", np.where(counts["passed"] > 0, "pass", "skip"))
    return counts


def benchmarks_frame(tests: pd.DataFrame) -> pd.DataFrame:
    """Benchmarks with their ratio to the peer measured in the same run and group.

    The peer is the entry whose extra_info says {"peer": true} (torch, OpenBLAS,
    faiss ...); `ratio` = peer time / this time (above 1: faster than the peer),
    with a 95% interval from the two means' standard errors (delta method)."""
    b = tests[tests["bench_mean"].notna() & tests["bench_group"].notna()].copy()
    if b.empty:
        return b.assign(ratio=[], ratio_low=[], ratio_high=[], peer=[])
    b["is_peer"] = b["bench_extra"].map(lambda e: bool(e.get("peer")))
    b["label"] = [e.get("name") or (impl or nodeid.split("::")[-1]) for e, impl, nodeid in zip(b["bench_extra"], b["impl"], b["nodeid"])]
    out = []
    for (_, _group), g in b.groupby(["run_id", "bench_group"], sort=False):
        peers = g[g["is_peer"]]
        peer = peers.iloc[0] if len(peers) else None
        for _, row in g.iterrows():
            row = row.copy()
            row["peer"] = None if peer is None else peer["label"]
            if peer is not None and row["bench_mean"] > 0:
                ratio = peer["bench_mean"] / row["bench_mean"]
                rel_var = _rel_var(row) + _rel_var(peer)
                half = 1.96 * math.sqrt(rel_var)
                row["ratio"], row["ratio_low"], row["ratio_high"] = ratio, ratio * math.exp(-half), ratio * math.exp(half)
            else:
                row["ratio"] = row["ratio_low"] = row["ratio_high"] = math.nan
            out.append(row)
    return pd.DataFrame(out)


def _rel_var(row) -> float:
    n = max(int(row["bench_rounds"] or 1), 1)
    mean = row["bench_mean"]
    sd = row["bench_stddev"] if not math.isnan(row["bench_stddev"]) else 0.0
    return (sd * sd / n) / (mean * mean) if mean > 0 else 0.0


def sections(recs: list[dict]) -> dict[str, list]:
    """Named sections (calibration, ann, quantization, loadtest ...) across records."""
    merged: dict[str, list] = {}
    for r in recs:
        for name, items in (r.get("sections") or {}).items():
            merged.setdefault(name, []).extend({"run_id": r["run_id"], "data": d} for d in items)
    return merged
