"""Prompting strategies: answer extraction, voting, self-consistency, ReAct, Tree of
Thought, meta-prompting. The logic is tested with seeded test doubles of the
model (doubles.py); test_end_to_end.py runs the same strategies over real HTTP."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .doubles import NoisyReasoner, Scripted

SKILL = "prompt_strategies"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("We have 3 boxes of 4, so 3 * 4 = 12.\nAnswer: 12", "12"),
        ("First 2, then 7, finally 19", "19"),
        ("answer: blue\nsome trailing words", "blue"),
        ("Answer: 5. Wait, recheck.\nFinal answer: 6", "6"),
        ("no digits here", None),
    ],
)
def test_extract_answer(impl, text, expected):
    assert impl.extract_answer(text) == expected, f"extract_answer({text!r})"


@pytest.mark.parametrize("raw, canonical", [("  Paris. ", "paris"), ("3.0", "3"), ("1,000", "1000"), ("-0.50", "-0.5"), ("New   York!", "new york"), (None, None)])
def test_normalize_answer(impl, raw, canonical):
    assert impl.normalize_answer(raw) == canonical


@settings(max_examples=80)
@given(st.lists(st.sampled_from(["4", "4.0", " 5", "five", None, "Five."]), max_size=9))
def test_majority_vote_ignores_order(impl, answers):
    result = impl.majority_vote(answers)
    for order in itertools.islice(itertools.permutations(answers), 6):
        assert impl.majority_vote(list(order)) == result, "the vote must not depend on the order of the samples"


def test_majority_vote_tie_rule_and_empty(impl):
    assert impl.majority_vote(["b", "a", "b", "a"]) == "a", "a tie goes to the smallest normalised answer"
    assert impl.majority_vote(["7", "7.0", "8"]) == "7"
    assert impl.majority_vote([None, None]) is None


def test_few_shot_prompt_layout(impl):
    prompt = impl.few_shot_prompt("Translate to French.", [("cat", "chat"), ("dog", "chien")], "bird")
    assert prompt.index("Input: cat") < prompt.index("Output: chat") < prompt.index("Input: dog") < prompt.index("Input: bird")
    assert prompt.rstrip().endswith("Output:")
    assert "Input:" in impl.few_shot_prompt("Do it.", [], "x") and "Output: " not in impl.few_shot_prompt("Do it.", [], "x").replace("Output:", "", 1)


def test_chain_of_thought_asks_for_steps_and_extracts(impl):
    llm = Scripted(["12 + 30 = 42\nAnswer: 42"])
    answer, completion = impl.chain_of_thought(llm, "Add the numbers.", "What is 12 + 30?")
    assert answer == "42" and "Answer: 42" in completion
    assert "step" in llm.prompts[0].lower() and "What is 12 + 30?" in llm.prompts[0]


def test_self_consistency_beats_a_single_sample(impl):
    questions = {f"What is question {i}?": str(100 + i) for i in range(40)}
    llm = NoisyReasoner(questions, p_correct=0.6)
    single = sum(impl.chain_of_thought(llm, "Solve.", q, temperature=0.7, seed=0)[0] == a for q, a in questions.items())
    voted = 0
    for q, a in questions.items():
        answer, samples = impl.self_consistency(llm, "Solve.", q, n=9, temperature=0.7, seed=0)
        assert len(samples) == 9
        voted += answer == a
    assert voted > single, f"majority of 9 samples ({voted}/40) should beat one sample ({single}/40) at p=0.6"
    assert len(set(llm.seeds[-9:])) == 9, "each sample needs its own seed"


def test_react_uses_tools_and_answers(impl):
    llm = Scripted(["Thought: I should compute.\nAction: calculator[2 + 3]", "Thought: done.\nFinal Answer: 5"])
    result = impl.react(llm, "What is 2 + 3?", {"calculator": lambda expr: eval(expr, {"__builtins__": {}})}, max_steps=4)
    assert result["answer"] == "5" and result["stopped"] == "answer"
    assert result["observations"] == ["5"]
    assert "Observation: 5" in llm.prompts[1], "the observation must be fed back to the model"


def test_react_survives_malformed_output_unknown_tools_and_tool_errors(impl):
    def broken(_):
        raise ZeroDivisionError("division by zero")

    llm = Scripted(["I think I will just ramble", "Action: search[python]", "Action: calculator[1/0]", "Final Answer: done"])
    result = impl.react(llm, "q", {"calculator": broken}, max_steps=6)
    assert result["answer"] == "done" and len(result["steps"]) == 4
    invalid, unknown, error = result["observations"]
    assert "format" in invalid.lower()
    assert "unknown tool" in unknown.lower() and "calculator" in unknown
    assert "ZeroDivisionError" in error


def test_react_stops_at_the_step_limit(impl):
    llm = Scripted(["Thought: still thinking..."], limit=5)  # never answers; raises if called past the limit
    result = impl.react(llm, "q", {}, max_steps=5)
    assert result["stopped"] == "step_limit" and result["answer"] is None and len(result["steps"]) == 5


def test_tree_of_thought_keeps_the_best_beam_at_each_level(impl):
    def propose(state):
        return ["a", "b", "c"]

    def score(state):  # prefer "b" then "c": the best path is b, b, b
        return sum({"a": 0, "b": 2, "c": 1}[t] for t in state.splitlines()[1:])

    best, levels = impl.tree_of_thought("root", propose, score, beam_width=2, depth=3)
    assert best == "root\nb\nb\nb"
    assert levels[0] == ["root\nb", "root\nc"], "level 1 keeps the 2 best children"
    assert levels[1] == ["root\nb\nb", "root\nb\nc"] or levels[1] == ["root\nb\nb", "root\nc\nb"]
    assert all(len(level) == 2 for level in levels) and len(levels) == 3


def test_meta_prompt_writes_then_uses_a_prompt(impl):
    llm = Scripted(["You are a careful solver. Solve: {question}", "4"])
    written, answer = impl.meta_prompt(llm, "solve arithmetic word problems", "2 + 2")
    assert "solve arithmetic word problems" in llm.prompts[0]
    assert llm.prompts[1] == "You are a careful solver. Solve: 2 + 2"
    assert written.startswith("You are") and answer == "4"
