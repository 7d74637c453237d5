"""Prompt templates and the versioned prompt registry (roadmap Day 43-44: prompt version
management). The registry is real files in a temporary folder, reopened by a new
instance as a new session would."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_raises_clearly

SKILL = "prompt_templates"


def test_variables_in_order_with_escapes(impl):
    assert impl.template_variables("Hi {name}, {{literal}} {task} for {name}") == ["name", "task"]
    assert impl.render("{{x}} = {x}", {"x": 3}) == "{x} = 3"


@settings(max_examples=50)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), st.text(max_size=20), min_size=1, max_size=4))
def test_render_fills_every_variable(impl, values):
    template = " | ".join(f"{k}={{{k}}}" for k in values)
    assert impl.render(template, values) == " | ".join(f"{k}={v}" for k, v in values.items())


def test_missing_and_unexpected_variables_are_named(impl):
    err = assert_raises_clearly(ValueError, impl.render, "Q: {question} C: {context}", {"question": "x"}, what="a missing variable")
    assert "context" in str(err)
    err = assert_raises_clearly(ValueError, impl.render, "Q: {question}", {"question": "x", "extra": 1}, what="an unexpected variable")
    assert "extra" in str(err)
    assert_raises_clearly(ValueError, impl.template_variables, "broken {brace", what="an unbalanced brace")


def test_registry_versions_history_diff_rollback(impl, tmp_path):
    reg = impl.PromptRegistry(tmp_path / "prompts")
    v1 = reg.save("review", "Review this code:\n{code}\n", "first")
    v2 = reg.save("review", "You are a senior engineer.\nReview this code:\n{code}\n", "role")
    assert (v1["version"], v2["version"]) == (1, 2)
    assert v2["hash"] == hashlib.sha256(v2["text"].encode()).hexdigest()
    assert reg.save("review", v2["text"])["version"] == 2, "saving unchanged text must not create a version"
    diff = reg.diff("review", 1, 2)
    assert "+You are a senior engineer." in diff and diff.startswith("---")
    v3 = reg.rollback("review", 1)
    assert v3["version"] == 3 and v3["text"] == v1["text"]
    reopened = impl.PromptRegistry(tmp_path / "prompts")
    assert [v["version"] for v in reopened.history("review")] == [1, 2, 3]
    assert reopened.get("review")["text"] == v1["text"] and reopened.get("review", 2)["text"] == v2["text"]


def test_registry_unknown_names_and_versions(impl, tmp_path):
    reg = impl.PromptRegistry(tmp_path)
    reg.save("a", "x")
    with pytest.raises(KeyError, match="nope"):
        reg.get("nope")
    with pytest.raises(KeyError, match="7"):
        reg.get("a", 7)
