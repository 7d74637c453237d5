"""Task templates (code generation, bug detection, code review): three prompt variants
each, stored in a prompt registry, and evaluation sets whose scoring is deterministic.
These check the scorers themselves, since every reported task score rests on them:
executed code passes/fails/times out as it should, the injected bugs really are bugs,
and a review is credited only for the checklist items it names."""

import json

import pytest

from aigc_bench import prompt_tasks as tasks
from impls.numpy.prompt_templates import PromptRegistry


def test_code_runner_passes_fails_times_out_and_rejects_syntax_errors():
    tests = "assert add(2, 3) == 5\nassert add(-1, 1) == 0"
    cases = {
        "passed": "def add(a, b):\n    return a + b",
        "failed": "def add(a, b):\n    return a - b",
        "timeout": "def add(a, b):\n    while True:\n        pass",
        "syntax_error": "def add(a, b)\n    return a + b",
    }
    for expected, code in cases.items():
        result = tasks.run_code_against_tests(code, tests, timeout=1.5)
        assert result["status"] == expected and result["passed"] == (expected == "passed"), f"{expected}: got {result}"
    assert "AssertionError" in tasks.run_code_against_tests(cases["failed"], tests)["detail"]


def test_code_runner_isolated_from_the_harness(tmp_path):
    """The candidate runs in a temporary folder: it cannot see or write the caller's files."""
    code = "import os\nopen('left_behind.txt', 'w').write('x')\nCWD = os.getcwd()"
    result = tasks.run_code_against_tests(code, f"assert CWD != {str(tmp_path)!r}")
    assert result["passed"], result
    assert not (tmp_path / "left_behind.txt").exists()


@pytest.mark.parametrize("completion, code", [
    ("Here:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1\n"),
    ("```\nx = 2\n```", "x = 2\n"),
    ("def g(): return 3", "def g(): return 3"),
])
def test_extract_code(completion, code):
    assert tasks.extract_code(completion) == code


def test_code_generation_items_are_solvable_and_discriminating():
    task = tasks.get_task("code_generation")
    for item in task.items:
        fenced = f"Sure:\n```python\n{item['solution']}\n```"
        assert task.score(item, fenced) == 1.0, f"{item['id']}: the reference solution must pass its tests"
        name = item["solution"].split("(")[0].removeprefix("def ")
        assert task.score(item, f"def {name}(*args):\n    return None") == 0.0, f"{item['id']}: a stub must fail its tests"


def test_injected_bugs_are_real_and_scored_by_line():
    task = tasks.get_task("bug_detection")
    for item in task.items:
        assert tasks.run_code_against_tests(item["correct"], item["tests"])["passed"], f"{item['id']}: the correct version must pass"
        assert not tasks.run_code_against_tests(item["buggy"], item["tests"])["passed"], f"{item['id']}: the injected bug must fail a test"
        exact = " ".join(f"Line {n}: wrong." for n in item["bug_lines"])
        assert task.score(item, exact) == 1.0
        every_line = "Lines " + ", ".join(str(n) for n in range(1, item["input"].count("\n") + 2))
        assert task.score(item, every_line) < 0.6, "naming every line must not score well (F1)"
        assert task.score(item, "Looks fine to me.") == 0.0
    assert tasks.reported_lines("line 3 is off; Lines 5 and 7, also lines 2, 4") == {2, 3, 4, 5, 7}


def test_review_scored_by_checklist_items_found():
    task = tasks.get_task("code_review")
    config_loader = next(i for i in task.items if i["id"] == "config_loader")
    assert task.score(config_loader, "LGTM") == 0.0
    assert task.score(config_loader, "The API key is hard-coded; move it to an environment variable.") == pytest.approx(0.25)
    full = "Hard-coded secret. Mutable default argument cache=[]. Bare except: swallows errors. The file is not closed: use with open."
    assert task.score(config_loader, full) == 1.0


@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_every_task_has_three_variants_in_the_registry(name, tmp_path):
    task = tasks.get_task(name)
    assert len(task.variants) >= 3 and len(task.items) >= 3
    registry = PromptRegistry(tmp_path)
    tasks.seed_registry(registry, task)
    tasks.seed_registry(registry, task)  # a second time changes nothing
    history = registry.history(name)
    assert [v["version"] for v in history] == list(range(1, len(task.variants) + 1))
    for version in history:
        for item in task.items:
            prompt = tasks.fill(version["text"], item)
            assert item["input"] in prompt and "{input}" not in prompt


def test_datasets_and_their_errors(tmp_path):
    good = tmp_path / "arith.jsonl"
    good.write_text(json.dumps({"input": "2 + 2", "expected": "4"}) + "\n\n" + json.dumps({"input": "3 * 3", "expected": "9.0"}) + "\n")
    task = tasks.dataset_task(good)
    assert [task.score(item, c) for item, c in zip(task.items, ["so\nAnswer: 4", "Answer: 8"])] == [1.0, 0.0]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tasks.load_dataset(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": "x"}\n')
    with pytest.raises(ValueError, match="expected"):
        tasks.load_dataset(bad)
    with pytest.raises(ValueError, match=r"\{question\}"):
        tasks.fill("Q: {question}", {"input": "x", "expected": "y"})
    with pytest.raises(KeyError, match="unknown task"):
        tasks.get_task("poetry")
