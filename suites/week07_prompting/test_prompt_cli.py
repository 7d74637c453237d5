"""`aigc-bench prompt ab` and `aigc-bench prompt optimize` as a user runs them: real
subprocesses against our own server over HTTP, checked on what they print and on the
run record they write. The server's model has random weights, so every version scores
~0 and the honest verdict is "no significant difference"; that is what is asserted
(a real comparison needs a real endpoint: docs/week07_08.md)."""

import json
import os
import subprocess

import pytest

from aigc_bench import records
from aigc_bench.cli import main
from aigc_bench.server.testing import aigc_bench_command, free_port
from impls.numpy.prompt_templates import PromptRegistry

from .conftest import MODEL

def run_cli(*args, base_url=None, timeout=240):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_MODEL")}
    if base_url:
        env.update(OPENAI_BASE_URL=base_url, OPENAI_MODEL=MODEL)
    return subprocess.run(aigc_bench_command("prompt", *args), capture_output=True, text=True, timeout=timeout, env=env)


def only_record(folder, section):
    [path] = sorted(folder.glob("*.json"))
    record = records.load(path)
    assert record["complete"] and record["command"].startswith("prompt")
    [data] = record["sections"][section]
    return data


@pytest.fixture
def arithmetic(tmp_path):
    registry = PromptRegistry(tmp_path / "prompts")
    registry.save("arith", "Q: {input}\nA:", "terse")
    registry.save("arith", "Solve the problem. End with a line 'Answer: <number>'.\nProblem: {input}", "with format")
    dataset = tmp_path / "arith.jsonl"
    dataset.write_text("\n".join(json.dumps({"id": f"q{i}", "input": f"{i} + {i}", "expected": str(2 * i)}) for i in (2, 3)) + "\n")
    return tmp_path / "prompts", dataset


@pytest.mark.server
def test_ab_on_a_dataset(prompt_server, arithmetic, tmp_path):
    registry, dataset = arithmetic
    done = run_cli("ab", "--template", "arith", "--a", "v1", "--b", "v2", "--dataset", str(dataset), "--registry", str(registry),
                   "--max-tokens", "4", "--record-dir", str(tmp_path / "runs"), base_url=prompt_server.base_url)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("mean A", "mean B", "95% CI [", "p-value", "McNemar exact", "MDE", "verdict"):
        assert label in out, f"{label!r} missing from:\n{out}"
    assert "verdict        no significant difference" in out, out
    data = only_record(tmp_path / "runs", "prompt_ab")
    assert (data["template"], data["a"], data["b"], data["n"], data["model"]) == ("arith", 1, 2, 2, MODEL)
    assert len(data["scores_a"]) == len(data["scores_b"]) == 2 and set(data["scores_a"] + data["scores_b"]) <= {0.0, 1.0}
    assert data["verdict"] == "no significant difference" and data["p_value"] >= 0.05
    assert data["a_hash"] != data["b_hash"]
    assert main(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "site")]) == 0
    sections = (tmp_path / "site" / "sections.html").read_text()
    assert "prompt_ab" in sections and "no significant difference" in sections, "the comparison must appear in the HTML report"


@pytest.mark.server
def test_ab_on_a_task_seeds_its_variants(prompt_server, tmp_path, capsys):
    """The same command in-process (the subprocess path is covered above): a task's built-in
    variants become versions 1-3 of its template on first use."""
    status = main(["prompt", "ab", "--task", "code_review", "--a", "v1", "--b", "v3", "--limit", "2", "--registry", str(tmp_path / "prompts"),
                   "--max-tokens", "4", "--record-dir", str(tmp_path / "runs"), "--base-url", prompt_server.base_url, "--model", MODEL])
    out = capsys.readouterr().out
    assert status == 0
    assert "code_review v1 (A) vs v3 (B) on 2 items" in out and "no significant difference" in out, out
    assert [v["version"] for v in PromptRegistry(tmp_path / "prompts").history("code_review")] == [1, 2, 3]
    assert only_record(tmp_path / "runs", "prompt_ab")["source"] == "task code_review"


@pytest.mark.server
def test_optimize_within_its_budget(prompt_server, tmp_path):
    done = run_cli("optimize", "--task", "code_generation", "--limit", "1", "--budget", "4", "--max-tokens", "4",
                   "--record-dir", str(tmp_path / "runs"), base_url=prompt_server.base_url)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "trajectory:" in out and "initial" in out and "best prompt:" in out and "| Input: {input}" in out, out
    data = only_record(tmp_path / "runs", "prompt_optimize")
    assert data["calls"] <= 4 and data["budget"] == 4, data
    assert f"after {data['calls']} of 4 LLM calls" in out
    assert data["trajectory"][0]["strategy"] == "initial" and len(data["trajectory"]) >= 2, "a budget of 4 with one item evaluates candidates"
    assert data["score"] == max(t["score"] for t in data["trajectory"])


def test_errors_are_clear(arithmetic, tmp_path, monkeypatch, capsys):
    """Run in-process (no server needed): each mistake exits 2 and names the problem."""
    registry, dataset = arithmetic
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    common = ["prompt", "ab", "--template", "arith", "--registry", str(registry), "--no-record"]
    cases = [
        (common + ["--a", "v1", "--b", "v2", "--dataset", str(dataset)], "OPENAI_BASE_URL"),
        (common + ["--a", "v1", "--b", "v2", "--dataset", str(tmp_path / "nope.jsonl")], "does not exist"),
        (common + ["--a", "v1", "--b", "v7", "--dataset", str(dataset)], "no version 7"),
        (common + ["--a", "v1", "--b", "v2", "--dataset", str(dataset), "--base-url", "http://127.0.0.1:9/v1"], "OPENAI_MODEL"),
        (["prompt", "optimize", "--task", "poetry", "--budget", "5"], "unknown task 'poetry'"),
        (["prompt", "optimize", "--task", "bug_detection", "--budget", "2", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], "cannot evaluate"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error:") and message in err, f"{argv}: {err}"
    nobody = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there: the call fails, exit 1
    assert main(common + ["--a", "v1", "--b", "v2", "--dataset", str(dataset), "--base-url", nobody, "--model", "m"]) == 1
    assert "the language model call failed" in capsys.readouterr().err
