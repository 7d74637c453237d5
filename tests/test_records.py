"""Run records: one per run, written as the run goes, consolidated atomically at the end.

A run killed from outside keeps every test already recorded, and the report
says what is missing instead of failing; records from xdist workers end up in
one run record."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from aigc_bench import records
from aigc_bench.report import build_site

SLOW_TESTS = """
import time, pytest

@pytest.mark.parametrize("i", range(6))
def test_step(i, record_metric):
    record_metric("step", i, "count", "higher")
    if i >= 3:
        time.sleep(60)   # the run is killed while this sleeps
"""

FAST_TESTS = """
import pytest

@pytest.mark.parametrize("i", range(8))
def test_ok(i, record_metric):
    record_metric("square", i * i)

def test_bad():
    assert 1 == 2, "deliberately failing"

def test_section(run_record):
    run_record.add_section("calibration", {"peak_gflops": 12.5})
"""


def test_writer_consolidates_atomically(tmp_path):
    writer = records.RunWriter(tmp_path, {"machine": {"cpu": "test"}})
    writer.add_test({"nodeid": "a::b", "outcome": "passed"})
    writer.add_section("calibration", {"bandwidth_gbs": 10})
    assert not writer.final.exists(), "the final record appears only when the run ends"
    record = writer.finish(exitstatus=0)
    assert json.loads(writer.final.read_text()) == record
    assert record["complete"] and record["tests"][0]["nodeid"] == "a::b"
    assert record["sections"]["calibration"] == [{"bandwidth_gbs": 10}]
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_truncated_last_line_is_reported_not_fatal(tmp_path):
    writer = records.RunWriter(tmp_path, {})
    writer.add_test({"nodeid": "a::b", "outcome": "passed"})
    with open(writer.journal, "a") as f:
        f.write('{"type": "test", "nodeid": "a::c", "outc')  # killed mid-write
    record = records.load(writer.journal)
    assert [t["nodeid"] for t in record["tests"]] == ["a::b"]
    assert not record["complete"]
    assert any("truncated" in p for p in record["problems"])


def test_killed_run_keeps_what_it_wrote(pytester, tmp_path):
    pytester.makepyfile(test_slow=SLOW_TESTS)
    record_dir = tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--record-dir={record_dir}"],
        cwd=pytester.path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.time() + 120
    journal = None
    while time.time() < deadline:
        found = list(record_dir.glob("*.jsonl")) if record_dir.exists() else []
        if found and found[0].read_text().count('"type": "test"') >= 3:
            journal = found[0]
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert journal is not None, "the run recorded nothing before it was killed"
    record = records.load(journal)
    assert [t["outcome"] for t in record["tests"]] == ["passed"] * 3
    assert record["tests"][2]["metrics"]["step"]["value"] == 2
    assert not record["complete"] and any("did not finish" in p for p in record["problems"])
    index = build_site([journal], tmp_path / "site")
    assert "did not finish" in index.read_text()


def test_xdist_workers_write_one_record(pytester, tmp_path):
    pytester.makepyfile(test_fast=FAST_TESTS)
    record_dir = tmp_path / "runs"
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", f"--record-dir={record_dir}")
    result.assert_outcomes(passed=9, failed=1)
    [path] = records.find([record_dir])
    record = records.load(path)
    assert record["complete"]
    assert sorted(t["nodeid"] for t in record["tests"]) == sorted([f"test_fast.py::test_ok[{i}]" for i in range(8)] + ["test_fast.py::test_bad", "test_fast.py::test_section"])
    assert {t["metrics"]["square"]["value"] for t in record["tests"] if "square" in t["metrics"]} == {i * i for i in range(8)}
    assert record["sections"]["calibration"] == [{"peak_gflops": 12.5}]
    bad = next(t for t in record["tests"] if t["nodeid"].endswith("test_bad"))
    assert bad["outcome"] == "failed" and "deliberately failing" in bad["message"]
