"""Each suite's mutation score: every mistake in its catalogue (suites/*/mistakes.py)
must fail at least one of the suite's tests.

Runs `pytest suites/<folder> --impl mistakes` in a subprocess (no shrinking) and
reads which mistake implementations failed from its run record. The score is
recorded per suite (metric `mutation_score`, section `mutation`).

Marked `mutation`: it reruns every suite once per mistake, so the quick default
run skips it; `pytest --mutation` (and .ci/run) runs it."""

import subprocess
import sys
from pathlib import Path

import pytest

from aigc_bench import records, registry

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = [f for f in registry.suite_folders() if (f / "mistakes.py").exists()]


def catalogue(folder: Path) -> dict[str, str]:
    """slug -> description of the mistakes declared for the skills of this folder."""
    found = {}
    for skill in registry.skills().values():
        if skill.source.startswith(f"suites/{folder.name}/"):
            found.update({m.slug: f"{skill.name}: {m.description}" for m in skill.mistakes})
    return found


@pytest.mark.mutation
@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_catalogued_mistake_is_caught(folder, tmp_path, record_metric, run_record):
    mistakes = catalogue(folder)
    assert mistakes, f"{folder.name}/mistakes.py catalogues no mistake"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(folder.relative_to(ROOT)), "--impl", "mistakes", "-q", "-p", "no:cacheprovider", f"--record-dir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    [path] = records.find([tmp_path])
    record = records.load(path)
    failed_by = {}
    for t in record["tests"]:
        impl = t.get("impl") or ""
        if impl.startswith("mistake:") and t["outcome"] in ("failed", "error"):
            failed_by.setdefault(impl.split(":", 1)[1], t["nodeid"])
    caught = {slug for slug in mistakes if slug in failed_by}
    score = len(caught) / len(mistakes)
    record_metric("mutation_score", score, "fraction", "higher", suite=folder.name, caught=len(caught), catalogued=len(mistakes))
    run_record.add_section("mutation", {"suite": folder.name, "caught": len(caught), "catalogued": len(mistakes), "score": score, "missed": sorted(set(mistakes) - caught)})
    missed = [f"{slug} ({mistakes[slug]})" for slug in sorted(set(mistakes) - caught)]
    assert not missed, f"{folder.name} does not catch: {', '.join(missed)}\n{proc.stdout[-3000:]}"
