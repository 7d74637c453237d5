"""Hostile implementations: each fails with its named reason, and the rest of the run completes.

Learner folders (tmp_path) hold softmax modules that segfault, hang, allocate
10 GB, mutate their input, patch the clock, cache answers or return zeros.
The real softmax suite runs on all of them at once, isolated (--isolate
learners, the default), beside the NumPy reference."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from aigc_bench import records
from aigc_bench.implementation import ContractViolation
from aigc_bench.timing import bench_fresh

ROOT = Path(__file__).resolve().parents[1]

STABLE = """
def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""

HOSTILE = {
    "segfault": "import ctypes\ndef softmax(x, axis=-1):\n    ctypes.memset(16, 0, 1)  # writes to an unmapped address\n    return x\n",
    "hang": "def softmax(x, axis=-1):\n    while True:\n        pass\n",
    "memory_hog": "def softmax(x, axis=-1):\n    hog = np.ones(10 * 2**30 // 8)\n    return _softmax(x, axis) + hog[0] * 0\n",
    "mutator": "def softmax(x, axis=-1):\n    x -= x.max(axis=axis, keepdims=True)\n    return _softmax(x, axis)\n",
    "clock_patcher": "import time\ndef softmax(x, axis=-1):\n    time.perf_counter = lambda: 0.0\n    return _softmax(x, axis)\n",
    "cacher": "_seen = []\ndef softmax(x, axis=-1):\n    if not _seen:\n        _seen.append(_softmax(x, axis))\n    return _seen[0]\n",
    "zeros": "def softmax(x, axis=-1):\n    return np.zeros_like(x)\n",
}
REASON = {
    "segfault": "crashed the worker with SIGSEGV",
    "hang": "did not return within the time limit of 5 s",
    "memory_hog": "exceeded the memory limit of 2 GiB",
    "mutator": "mutated its input argument 0",
    "clock_patcher": "replaced time.perf_counter",
    "cacher": "has shape",  # the first input's answer, returned for a later input
    "zeros": "is all zeros",
}
TESTS = "suites/week01_02_fundamentals/test_softmax.py::test_softmax_large_logits_do_not_overflow"


def test_hostile_learners_fail_with_their_reason_and_the_run_completes(tmp_path):
    learners = []
    for name, body in HOSTILE.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "softmax.py").write_text("import numpy as np\n" + STABLE + body)
        learners.append(f"--learner={folder}")
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(ROOT / "impls/numpy/softmax.py", good / "softmax.py")
    learners.append(f"--learner={good}")
    record_dir = tmp_path / "runs"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", TESTS, "suites/week01_02_fundamentals/test_softmax.py::test_softmax_matches_torch", *learners,
         "--impl=" + ",".join([*HOSTILE, "good", "numpy"]), "--time-limit=5", "--memory-limit=2", f"--record-dir={record_dir}", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    [path] = records.find([record_dir])
    record = records.load(path)
    assert record["complete"], proc.stdout[-3000:]
    by_impl: dict[str, list] = {}
    for t in record["tests"]:
        by_impl.setdefault(t["impl"], []).append(t)
    for honest in ("good", "numpy"):
        assert {t["outcome"] for t in by_impl[honest]} == {"passed"}, proc.stdout[-3000:]
    for name, reason in REASON.items():
        failed = [t for t in by_impl[name] if t["outcome"] == "failed"]
        assert failed, f"{name} passed every test"
        assert any(reason in t["message"] for t in failed), f"{name}: expected {reason!r} in\n" + "\n---\n".join(t["message"][-800:] for t in failed)


def test_cached_answers_are_caught_inside_the_timed_loop(benchmark):
    cache = {}

    def cached_square(x):  # correct on its first call, stale afterwards
        return cache.setdefault("answer", x * x)

    def make_inputs(i):
        return (np.full(8, float(i + 1)),)

    def check(inputs, output):
        np.testing.assert_allclose(output, inputs[0] ** 2)

    with pytest.raises(ContractViolation, match="may not cache or skip work while timed"):
        bench_fresh(benchmark, cached_square, make_inputs, check)


def test_honest_function_passes_the_timed_loop(benchmark):
    out = bench_fresh(benchmark, np.square, lambda i: (np.arange(8.0) + i,), lambda inputs, output: np.testing.assert_allclose(output, inputs[0] ** 2))
    assert out.shape == (8,)
