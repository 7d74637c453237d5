"""A learner whose attention matches a catalogued mistake is told so by name.

Two learner folders are built in tmp_path from the same hand-written NumPy
attention: one forgets the 1/sqrt(d) scale, one does not. The real attention
suite runs on both in one subprocess; the first must fail with the catalogue's
"likely mistake: matches attention without the 1/sqrt(d) scale", the second
must pass with no hint."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LEARNER_ATTENTION = '''
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError("q, k, v shapes do not fit")
    lq, lk = q.shape[-2], k.shape[-2]
    scores = q @ np.swapaxes(k, -1, -2){scale}
    allowed = np.ones((lq, lk), bool)
    if causal:
        allowed = np.tril(allowed, lk - lq)
    if mask is not None:
        allowed = allowed & mask
    scores = np.where(allowed, scores, -np.inf)
    empty = ~allowed.any(-1, keepdims=True)
    scores = np.where(empty, 0.0, scores)
    weights = np.exp(scores - scores.max(-1, keepdims=True)) * ~empty
    weights = weights / np.maximum(weights.sum(-1, keepdims=True), 1e-30)
    return (weights @ v).astype(q.dtype)
'''

HINT = "likely mistake: matches attention without the 1/sqrt(d) scale"


def learner(tmp_path: Path, name: str, scale: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "attention.py").write_text(LEARNER_ATTENTION.replace("{scale}", scale))
    return folder


def test_learner_matching_a_catalogued_mistake_is_told_which(tmp_path):
    forgot = learner(tmp_path, "forgot_scale", "")
    correct = learner(tmp_path, "scaled", " / np.sqrt(q.shape[-1])")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/week01_02_fundamentals/test_attention.py::test_fully_masked_rows_give_zeros",
         "--learner", str(forgot), "--learner", str(correct), "-p", "no:cacheprovider", "--no-record", "-rA"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert re.search(r"^FAILED \S+\[forgot_scale\]", out, re.M), f"the learner without the scale should fail:\n{out[-3000:]}"
    assert re.search(r"^PASSED \S+\[scaled\]", out, re.M), f"the correct learner should pass:\n{out[-3000:]}"
    # the hint is in the failing learner's report (an "E" line of its failure), and only there
    header = "test_fully_masked_rows_give_zeros[forgot_scale]"
    assert f" {header} _" in out, f"no failure report for {header}:\n{out[-3000:]}"
    failure = out.split(f" {header} _", 1)[1].split("short test summary", 1)[0]
    assert re.search(rf"^E\s+{re.escape(HINT)}$", failure, re.M), f"the failure should name the likely mistake ({HINT!r}):\n{failure[-3000:]}"
    assert "[scaled] _" not in out, "the correct learner must not get a failure report"
