"""A learner's day: scaffold stubs, fill some in, run one week's checkpoint.

Runs the real suites in a subprocess on learner folders built in tmp_path:
missing functions fail only their own tests with the contract's TODO message,
and a syntax error in one module fails only that skill's tests (file and
line named) without breaking the collection of the rest."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aigc_bench import records, registry
from aigc_bench.commands import new_learner

ROOT = Path(__file__).resolve().parents[1]
SOFTMAX_TESTS = "suites/week01_02_fundamentals/test_softmax.py"
ATTENTION_TESTS = "suites/week01_02_fundamentals/test_attention.py"


def run_suites(learner: Path, record_dir: Path, *paths: str) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *paths, f"--learner={learner}", f"--record-dir={record_dir}", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    [path] = records.find([record_dir])
    return proc, records.load(path)


def outcomes(record: dict) -> dict[str, str]:
    return {t["nodeid"].split("::")[-1]: t["outcome"] for t in record["tests"]}


def test_new_learner_scaffolds_a_stub_for_every_skill(tmp_path, capsys):
    status = new_learner.run(type("Args", (), {"name": "alice", "dir": str(tmp_path), "force": False})())
    assert status == 0
    folder = tmp_path / "alice"
    for name, skill in registry.skills().items():
        module = folder / f"{name}.py"
        assert module.exists(), f"no stub for {name}"
        text = module.read_text()
        compile(text, str(module), "exec")  # every stub is valid Python
        for function in skill.functions:
            assert f"implement {function} for week {skill.week_label}" in text, f"{name}.{function} has no TODO message"
    assert "pytest --learner" in (folder / "README.md").read_text()


def test_stubs_fail_with_the_todo_message(tmp_path):
    new_learner.run(type("Args", (), {"name": "bob", "dir": str(tmp_path), "force": False})())
    proc, record = run_suites(tmp_path / "bob", tmp_path / "runs", SOFTMAX_TESTS)
    assert record["tests"] and all(t["outcome"] == "failed" for t in record["tests"]), proc.stdout[-2000:]
    assert "implement softmax for week 1-2 (softmax): see suites/week01_02_fundamentals/contract.py" in proc.stdout


def test_missing_function_and_broken_module_fail_only_their_own_tests(tmp_path):
    learner = tmp_path / "carol"
    learner.mkdir()
    shutil.copy(ROOT / "impls/numpy/softmax.py", learner / "softmax.py")
    # softmax_backward is missing; attention has a syntax error on line 3
    text = (learner / "softmax.py").read_text()
    (learner / "softmax.py").write_text(text[: text.index("def softmax_backward")])
    (learner / "attention.py").write_text("import numpy as np\n\ndef scaled_dot_product_attention(q, k, v, mask=None, causal=False)\n    return q\n")
    proc, record = run_suites(learner, tmp_path / "runs", SOFTMAX_TESTS, ATTENTION_TESTS)
    results = outcomes(record)
    assert results["test_softmax_matches_torch[carol]"] == "passed", proc.stdout[-3000:]
    assert results["test_softmax_large_logits_do_not_overflow[carol]"] == "passed"
    assert results["test_softmax_backward_matches_autograd[carol]"] == "failed"
    attention = {k: v for k, v in results.items() if "attention" in k or "mask" in k or "token" in k}
    assert attention and set(attention.values()) == {"failed"}, results
    messages = " ".join(t["message"] for t in record["tests"])
    assert "implement softmax_backward for week 1-2" in messages
    assert "attention.py:3: SyntaxError" in messages


def test_record_names_learner_and_skill(tmp_path):
    learner = tmp_path / "dave"
    learner.mkdir()
    shutil.copy(ROOT / "impls/numpy/softmax.py", learner / "softmax.py")
    proc, record = run_suites(learner, tmp_path / "runs", SOFTMAX_TESTS)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert {(t["skill"], t["impl"]) for t in record["tests"]} == {("softmax", "dave")}
    assert record["complete"] and [i["name"] for i in record["implementations"]] == ["dave"]
    json.dumps(record)  # the record is plain JSON
