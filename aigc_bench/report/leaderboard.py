"""A leaderboard of learners run on the same machine.

Per skill and learner: correct (every test that ran passed), incorrect, or
missing (no test of the skill ran for that learner). Speed: for each benchmark
the learner ran, the reference's time over the learner's (reference =
`--reference`, default the NumPy backend) in the same run; a skill's speedup is
the geometric mean over its benchmarks.

Summary per learner, as KernelBench defines them:
- fast_p: the share of ALL skills (missing ones count as failures) that are
  both correct and have speedup > p over the reference: fast_0 is the share
  correct, fast_1 correct and faster than the reference, fast_2 more than 2x;
- geomean speedup over the correct skills that have a benchmark.
Ranking: more correct skills first, then higher geometric-mean speedup; equal
on both is a tie and shares a rank.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import data


def build(recs: list[dict], reference: str = "numpy", ps=(0, 1, 2)) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(per-skill table, per-learner summary, warnings)."""
    warnings = []
    machines = {data.machine_key(r) for r in recs}
    if len(machines) > 1:
        warnings.append(f"runs come from {len(machines)} machines ({'; '.join(sorted(machines))}): speedups compare machines too")
    tests = data.tests_frame(recs)
    tests = tests[tests["impl"].notna()]
    learner_names = {i["name"] for r in recs for i in r.get("implementations", []) if i.get("kind") == "learner"}
    if not learner_names:
        learner_names = set(tests["impl"]) - {reference}
        warnings.append("no run names a learner: ranking every implementation other than the reference")
    status = data.skill_status(tests)
    skills = sorted(set(tests["skill"].dropna()))
    bench = tests[tests["bench_mean"].notna()]
    rows = []
    for learner in sorted(learner_names):
        for skill in skills:
            s = status[(status["skill"] == skill) & (status["impl"] == learner)]
            state = "missing" if s.empty or s.iloc[0]["status"] == "skip" else ("correct" if s.iloc[0]["status"] == "pass" else "incorrect")
            speedups = []
            mine = bench[(bench["impl"] == learner) & (bench["skill"] == skill)]
            for b in mine.itertuples():
                ref = bench[(bench["impl"] == reference) & (bench["test"] == b.test) & (bench["run_id"] == b.run_id)]
                if len(ref) and b.bench_mean > 0:
                    speedups.append(ref["bench_mean"].iloc[0] / b.bench_mean)
            speedup = float(np.exp(np.mean(np.log(speedups)))) if speedups else math.nan
            rows.append({"learner": learner, "skill": skill, "state": state, "speedup": speedup, "benchmarks": len(speedups)})
    table = pd.DataFrame(rows, columns=["learner", "skill", "state", "speedup", "benchmarks"])
    summary = []
    for learner, g in table.groupby("learner"):
        correct = g[g["state"] == "correct"]
        timed = correct["speedup"].dropna()
        entry = {
            "learner": learner,
            "correct": len(correct),
            "skills": len(g),
            "missing": int((g["state"] == "missing").sum()),
            "geomean_speedup": float(np.exp(np.log(timed).mean())) if len(timed) else math.nan,
        }
        for p in ps:
            fast = (g["state"] == "correct") & ((g["speedup"] > p) if p > 0 else True)
            entry[f"fast_{p:g}"] = float(fast.sum() / max(len(g), 1))
        summary.append(entry)
    summary = pd.DataFrame(summary)
    if len(summary):
        key = summary["geomean_speedup"].fillna(0)
        summary = summary.assign(sort_key=key).sort_values(["correct", "sort_key"], ascending=False)
        ranks, last, rank = [], None, 0
        for i, r in enumerate(summary.itertuples(), 1):
            current = (r.correct, r.sort_key)
            rank = rank if current == last else i
            ranks.append(rank)
            last = current
        summary = summary.drop(columns="sort_key")
        summary.insert(0, "rank", ranks)
        summary["tie"] = summary["rank"].duplicated(keep=False)
    return table, summary, warnings
