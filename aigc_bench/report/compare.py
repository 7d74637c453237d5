"""Two runs side by side: what changed in outcome, and which timings changed for real.

A benchmark counts as a regression only when it is slower by more than `factor`
(default 1.1) AND the difference is statistically significant: Welch's t-test
on the two means from their standard deviations and round counts, one-sided,
at `alpha` (default 0.05). Noise is not reported as a regression. Timings from
different machines are compared only with a warning saying so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from . import data


@dataclass
class Comparison:
    same_machine: bool
    machines: tuple[str, str]
    table: pd.DataFrame  # one row per test present in either run

    @property
    def regressions(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == "regression"]

    @property
    def broken(self) -> pd.DataFrame:
        return self.table[self.table["change"] == "broke"]


def _outcome_change(a, b) -> str:
    ok = {"passed"}
    if pd.isna(a):
        return "new"
    if pd.isna(b):
        return "gone"
    if a == b:
        return "same"
    if a in ok and b in ("failed", "error"):
        return "broke"
    if a in ("failed", "error") and b in ok:
        return "fixed"
    return f"{a} -> {b}"


def welch_p_slower(mean_a, sd_a, n_a, mean_b, sd_b, n_b) -> float:
    """One-sided p-value that B's true mean time exceeds A's (Welch's t-test)."""
    from scipy import stats

    if min(n_a, n_b) < 2 or (sd_a == 0 and sd_b == 0):
        return 0.0 if mean_b > mean_a else 1.0
    t, p_two = stats.ttest_ind_from_stats(mean_b, sd_b, n_b, mean_a, sd_a, n_a, equal_var=False)
    if math.isnan(t):
        return 1.0
    return p_two / 2 if t > 0 else 1 - p_two / 2


def compare(record_a: dict, record_b: dict, factor: float = 1.1, alpha: float = 0.05) -> Comparison:
    ta = data.tests_frame([record_a]).set_index("nodeid")
    tb = data.tests_frame([record_b]).set_index("nodeid")
    ids = list(dict.fromkeys(list(ta.index) + list(tb.index)))
    rows = []
    for nodeid in ids:
        a = ta.loc[nodeid] if nodeid in ta.index else None
        b = tb.loc[nodeid] if nodeid in tb.index else None
        row = {
            "nodeid": nodeid,
            "outcome_a": None if a is None else a["outcome"],
            "outcome_b": None if b is None else b["outcome"],
        }
        row["change"] = _outcome_change(row["outcome_a"], row["outcome_b"])
        row["ratio"] = row["p_slower"] = math.nan
        row["verdict"] = ""
        if a is not None and b is not None and not math.isnan(a["bench_mean"]) and not math.isnan(b["bench_mean"]) and a["bench_mean"] > 0:
            ratio = b["bench_mean"] / a["bench_mean"]
            sd_a = 0.0 if math.isnan(a["bench_stddev"]) else a["bench_stddev"]
            sd_b = 0.0 if math.isnan(b["bench_stddev"]) else b["bench_stddev"]
            p_slower = welch_p_slower(a["bench_mean"], sd_a, int(a["bench_rounds"]), b["bench_mean"], sd_b, int(b["bench_rounds"]))
            row["ratio"], row["p_slower"] = ratio, p_slower
            if ratio > factor and p_slower < alpha:
                row["verdict"] = "regression"
            elif ratio < 1 / factor and (1 - p_slower) < alpha:
                row["verdict"] = "improvement"
            else:
                row["verdict"] = "no significant change"
        rows.append(row)
    machines = (data.machine_key(record_a), data.machine_key(record_b))
    return Comparison(machines[0] == machines[1], machines, pd.DataFrame(rows))


def format_text(c: Comparison, factor: float) -> str:
    lines = []
    if not c.same_machine:
        lines.append(f"WARNING: these runs are from different machines ({c.machines[0]} vs {c.machines[1]}): timing ratios compare machines as much as code.")
    t = c.table
    changed = t[~t["change"].isin(["same"])]
    lines.append(f"{len(t)} tests; outcome changes: {len(changed)}; regressions (> {factor}x slower and significant): {len(c.regressions)}")
    for r in changed.itertuples():
        lines.append(f"  {r.change:>6}  {r.nodeid}  ({r.outcome_a} -> {r.outcome_b})")
    timed = t[t["ratio"].notna()]
    if len(timed):
        lines.append("timings (B / A):")
        for r in timed.sort_values("ratio", ascending=False).itertuples():
            lines.append(f"  {r.ratio:7.3f}x  p(slower)={r.p_slower:.3g}  {r.verdict:<22} {r.nodeid}")
    return "\n".join(lines)
