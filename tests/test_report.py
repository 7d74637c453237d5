"""The HTML report, run comparison and the leaderboard.

The report is built from a real run (a small pytest tree with real
pytest-benchmark timings, run in a subprocess) and opened in a real headless
Chromium: no console errors, every plot loads, a screenshot is taken.
Comparison and leaderboard statistics are checked on hand-built records
whose right answers are known."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aigc_bench import records
from aigc_bench.report import build_site, compare, data, leaderboard

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

BENCH_TREE = """
import time
import numpy as np
import pytest

@pytest.mark.bench
@pytest.mark.parametrize("n", [64, 256, 1024])
@pytest.mark.parametrize("who", ["ours", "peer"])
def test_sort(benchmark, who, n, record_metric):
    data = np.random.default_rng(n).standard_normal(n)
    fn = np.sort if who == "peer" else (lambda a: np.sort(a, kind="stable"))
    benchmark.group = f"sort-{n}"
    benchmark.extra_info.update({"curve": "sort", "size": n, "peer": who == "peer", "name": who})
    out = benchmark(fn, data)
    assert np.all(np.diff(out) >= 0)
    record_metric("elements", n)

def test_section(run_record):
    run_record.add_section("calibration", {"peak_gflops": 50.0, "bandwidth_gbs": 12.0})

def test_fails():
    assert False, "a failure with a message"
"""


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    tree = tmp_path_factory.mktemp("tree")
    (tree / "test_tree.py").write_text(BENCH_TREE)
    (tree / "pytest.ini").write_text("[pytest]\n")
    record_dir = tree / "runs"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--bench", "--benchmark-max-time=0.05", f"--record-dir={record_dir}"],
        cwd=tree, capture_output=True, text=True, timeout=600,
    )
    [path] = records.find([record_dir])
    return path


def test_report_pages_from_a_real_run(real_run, tmp_path):
    index = build_site([real_run], tmp_path / "site")
    site = index.parent
    for page in ("index.html", "checkpoints.html", "matrix.html", "failures.html", "performance.html", "sections.html", "runs.html"):
        assert (site / page).exists(), page
    performance = (site / "performance.html").read_text()
    assert "sort-256" in performance and "(peer)" in performance
    assert "scaling-sort.svg" in performance and (site / "plots" / "scaling-sort.svg").exists()
    assert "a failure with a message" in (site / "failures.html").read_text()
    assert "peak_gflops" in (site / "sections.html").read_text()
    runs = (site / "runs.html").read_text()
    assert "CPU flags" in runs and "numpy" in runs  # versions are listed


def test_benchmark_ratio_has_an_interval(real_run):
    bench = data.benchmarks_frame(data.tests_frame(data.load_records([real_run])))
    ours = bench[bench["label"] == "ours"]
    assert len(ours) == 3 and ours["ratio"].notna().all()
    assert (ours["ratio_low"] <= ours["ratio"]).all() and (ours["ratio"] <= ours["ratio_high"]).all()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium; .ci/run installs it)")
def test_report_renders_in_a_real_browser(real_run, tmp_path):
    from playwright.sync_api import sync_playwright

    site = build_site([real_run], tmp_path / "site").parent
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            for name in ("index.html", "checkpoints.html", "matrix.html", "failures.html", "performance.html", "sections.html", "runs.html"):
                problems.clear()
                page.goto((site / name).as_uri())
                page.wait_for_load_state("load")
                broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
                assert not problems, f"{name}: {problems}"
                assert not broken, f"{name}: images that did not render: {broken}"
            page.goto((site / "performance.html").as_uri())
            assert page.evaluate("document.querySelectorAll('img').length") >= 1
            shot = tmp_path / "performance.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()


# ------------------------------------------------------------------ compare


def record(tests, machine="box / cpu / 2 cores"):
    host, cpu, cores = machine.split(" / ")
    return {"run_id": "r", "machine": {"hostname": host, "cpu": cpu, "cores": cores.split()[0]}, "tests": tests, "sections": {}}


def bench_test(nodeid, mean, sd, rounds, outcome="passed"):
    return {"nodeid": nodeid, "outcome": outcome, "benchmark": {"mean": mean, "stddev": sd, "rounds": rounds, "group": "g", "extra_info": {}}}


def test_significant_slowdown_is_a_regression():
    a = record([bench_test("t::x", 1.00, 0.01, 50)])
    b = record([bench_test("t::x", 1.20, 0.01, 50)])
    c = compare.compare(a, b)
    assert list(c.table["verdict"]) == ["regression"]
    assert c.table["ratio"].iloc[0] == pytest.approx(1.2)


def test_noisy_slowdown_is_not_a_regression():
    a = record([bench_test("t::x", 1.00, 0.5, 5)])
    b = record([bench_test("t::x", 1.20, 0.5, 5)])
    assert list(compare.compare(a, b).table["verdict"]) == ["no significant change"]


def test_small_but_significant_change_below_factor_is_not_flagged():
    a = record([bench_test("t::x", 1.00, 0.001, 100)])
    b = record([bench_test("t::x", 1.05, 0.001, 100)])
    assert list(compare.compare(a, b, factor=1.1).table["verdict"]) == ["no significant change"]


def test_outcome_changes_and_machine_warning():
    a = record([{"nodeid": "t::ok", "outcome": "passed"}, {"nodeid": "t::gone", "outcome": "passed"}])
    b = record([{"nodeid": "t::ok", "outcome": "failed"}, {"nodeid": "t::new", "outcome": "passed"}], machine="other / cpu2 / 8 cores")
    c = compare.compare(a, b)
    changes = dict(zip(c.table["nodeid"], c.table["change"]))
    assert changes == {"t::ok": "broke", "t::gone": "gone", "t::new": "new"}
    assert not c.same_machine
    assert "different machines" in compare.format_text(c, 1.1)


def test_compare_command_exit_status(tmp_path):
    for name, mean in (("a", 1.0), ("b", 1.5)):
        w = records.RunWriter(tmp_path, {"machine": {"hostname": "h", "cpu": "c", "cores": 2}}, run_id=name)
        w.add_test(bench_test("t::x", mean, 0.01, 30))
        w.finish()
    proc = subprocess.run([sys.executable, "-m", "aigc_bench", "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")], capture_output=True, text=True)
    assert proc.returncode == 1 and "regression" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "aigc_bench", "compare", str(tmp_path / "a.json"), str(tmp_path / "missing.json")], capture_output=True, text=True)
    assert proc.returncode == 2 and "missing.json" in proc.stderr


# ------------------------------------------------------------------ leaderboard


def skill_test(impl, skill, outcome="passed", mean=None, test="suites/w/test_s.py::test_speed"):
    t = {"nodeid": f"{test}[{impl}]", "outcome": outcome, "skill": skill, "impl": impl, "weeks": [1]}
    if mean is not None:
        t["benchmark"] = {"mean": mean, "stddev": 0.0, "rounds": 10, "group": skill, "extra_info": {}}
    return t


def test_leaderboard_fast_p_geomean_missing_and_ties():
    tests = [
        skill_test("numpy", "softmax", mean=1.0), skill_test("numpy", "attention", mean=1.0),
        # alice: both correct, 2x and 0.5x -> geomean 1.0
        skill_test("alice", "softmax", mean=0.5), skill_test("alice", "attention", mean=2.0),
        # bob: softmax correct and 4x faster, attention wrong
        skill_test("bob", "softmax", mean=0.25), skill_test("bob", "attention", outcome="failed"),
        # carol: the same as alice -> a tie
        skill_test("carol", "softmax", mean=0.5), skill_test("carol", "attention", mean=2.0),
        # dave: never ran attention (missing)
        skill_test("dave", "softmax", outcome="failed"),
    ]
    rec = record(tests)
    rec["implementations"] = [{"name": n, "kind": "learner"} for n in ("alice", "bob", "carol", "dave")]
    table, summary, warnings = leaderboard.build([rec])
    s = summary.set_index("learner")
    assert s.loc["alice", "geomean_speedup"] == pytest.approx(1.0)
    assert s.loc["alice", "fast_1"] == pytest.approx(0.5)  # softmax only is > 1x
    assert s.loc["bob", "fast_1"] == pytest.approx(0.5) and s.loc["bob", "fast_2"] == pytest.approx(0.5)
    assert s.loc["alice", "fast_0"] == 1.0 and s.loc["bob", "fast_0"] == 0.5
    assert s.loc["alice", "rank"] == s.loc["carol", "rank"] == 1 and s.loc["alice", "tie"]
    states = table.set_index(["learner", "skill"])["state"]
    assert states[("dave", "attention")] == "missing" and states[("dave", "softmax")] == "incorrect"
    assert s.loc["dave", "rank"] == 4
