"""The prompt optimizer (roadmap Day 45-47, 52-53): rendering, the 8 mutation strategies
and the budgeted hill-climbing search. The model is a seeded test double whose accuracy
depends on properties of the prompt (chain of thought and a few-shot example help,
self-critique hurts), so the search has something definite to find; figures on real
models come from `aigc-bench prompt optimize` against an endpoint."""

import copy

import numpy as np
import pytest

from aigc_bench.checks import assert_raises_clearly

from .contract import MUTATIONS

SKILL = "prompt_optimizer"

# Ten questions; question i is answered correctly when the prompt's accuracy p > (i + 0.5) / 10,
# so a configuration's score is exactly the fraction of these thresholds below its p.
QUESTIONS = [(f"What is {i} + {i + 3}?", str(2 * i + 3)) for i in range(10)]
POOL = [("What is 1 + 1?", "2"), ("What is 5 + 2?", "7"), ("What is 10 + 4?", "14")]
REWRITES = ["Add the two numbers and give the sum.", "Compute the sum precisely.", "Work out the total."]
INITIAL = {"instruction": "Answer the question."}


class PromptSensitiveModel:
    """Accuracy 0.1, +0.45 with "step by step", +0.45 with a few-shot example, -0.3 with
    self-critique; role and format change nothing. Counts every call (never refuses:
    the budget is the optimizer's job)."""

    def __init__(self):
        self.calls = 0

    def accuracy(self, prompt):
        has_example = prompt.count("Input:") >= 2
        return 0.1 + 0.45 * ("step by step" in prompt) + 0.45 * has_example - 0.3 * ("check your answer" in prompt)

    def __call__(self, prompt, temperature=0.0, seed=None):
        self.calls += 1
        if prompt.startswith("Rewrite"):
            return f'"{REWRITES[(seed or 0) % len(REWRITES)]}"\n'
        question_line = prompt.rsplit("Input: ", 1)[-1].splitlines()[0]
        index, (_, answer) = next((i, qa) for i, qa in enumerate(QUESTIONS) if qa[0] == question_line)
        correct = self.accuracy(prompt) > (index + 0.5) / len(QUESTIONS)
        return f"Reasoning...\nAnswer: {answer if correct else int(answer) + 1}"


def make_evaluate(impl):
    def evaluate(config, llm):
        hits = 0
        for question, answer in QUESTIONS:
            completion = llm(impl.render_config(config, question))
            hits += completion.rsplit("Answer:", 1)[-1].strip() == answer
        return hits / len(QUESTIONS)

    return evaluate


def test_render_config_puts_every_part_in_order(impl):
    config = {"instruction": "Add.", "role": "a tutor", "examples": [("1+1", "2")], "cot": True, "output_format": "Reply with 'Answer: <n>'.", "self_critique": True}
    prompt = impl.render_config(config, "2+2")
    parts = ["You are a tutor.", "Add.", "Reply with 'Answer: <n>'.", "Input: 1+1", "Output: 2", "Input: 2+2", "step by step", "check your answer", "Output:"]
    cursor = 0
    for part in parts:  # each part after the previous one
        found = prompt.find(part, cursor)
        assert found >= 0, f"{part!r} missing or out of order in:\n{prompt}"
        cursor = found + len(part)
    assert prompt.rstrip().endswith("Output:")
    plain = impl.render_config({"instruction": "Add."}, "2+2")
    assert "step by step" not in plain and "You are" not in plain and "check your answer" not in plain
    assert_raises_clearly(ValueError, impl.render_config, {"instruction": "  "}, "x", what="an empty instruction")


def _with_examples():
    return {"instruction": "Answer the question.", "role": None, "examples": [POOL[0], POOL[1]], "cot": False, "output_format": None, "self_critique": False}


@pytest.mark.parametrize("strategy", MUTATIONS)
def test_each_mutation_changes_what_it_says_and_copies(impl, strategy):
    config = _with_examples()
    before = copy.deepcopy(config)
    model = PromptSensitiveModel()
    after = impl.mutate(config, strategy, model, POOL, np.random.default_rng(3))
    assert config == before, f"{strategy} modified its input configuration (the search's incumbent) in place"
    examples = [tuple(e) for e in after.get("examples", [])]
    if strategy == "rewrite_instruction":
        assert model.calls == 1 and after["instruction"] in REWRITES, f"the rewritten instruction should be the model's reply without quotes, got {after['instruction']!r}"
    else:
        assert model.calls == 0, f"{strategy} should not call the model"
    expected = {
        "add_example": lambda: examples == [POOL[0], POOL[1], POOL[2]],
        "remove_example": lambda: len(examples) == 1 and examples[0] in POOL[:2],
        "toggle_cot": lambda: after["cot"] is True,
        "self_critique": lambda: after["self_critique"] is True,
        "output_format": lambda: "Answer:" in (after.get("output_format") or ""),
        "role": lambda: bool(after.get("role")),
        "reorder_examples": lambda: examples == [POOL[1], POOL[0]],
        "rewrite_instruction": lambda: True,
    }[strategy]
    assert expected(), f"{strategy} did not do what it says: {after}"
    assert impl.render_config(after, "q") != impl.render_config(config, "q"), f"{strategy} left the prompt unchanged"


def test_mutations_that_cannot_apply_and_unknown_strategies(impl):
    rng = np.random.default_rng(0)
    bare = {"instruction": "Answer."}
    full = {"instruction": "Answer.", "examples": list(POOL)}
    for config, strategy in ((bare, "remove_example"), (bare, "reorder_examples"), (full, "add_example")):
        after = impl.mutate(config, strategy, PromptSensitiveModel(), POOL, rng)
        assert impl.render_config(after, "q") == impl.render_config(config, "q"), f"{strategy} on {config} should change nothing"
    assert impl.mutate({"instruction": "Answer.", "output_format": "x"}, "output_format", None, POOL, rng).get("output_format") is None, "output_format toggles off when set"
    assert_raises_clearly(ValueError, impl.mutate, bare, "paraphrase", None, POOL, rng, what="an unknown strategy")


def test_optimizer_finds_chain_of_thought_and_an_example(impl):
    result = impl.optimize(INITIAL, make_evaluate(impl), PromptSensitiveModel(), budget=400, pool=POOL, seed=0)
    best = result["best"]
    assert result["trajectory"][0]["score"] == pytest.approx(0.1), "the zero-shot start answers one question in ten"
    assert result["score"] == pytest.approx(1.0), f"best score {result['score']}: CoT + an example answers all ten; trajectory {[(t['strategy'], t['score']) for t in result['trajectory']]}"
    assert best.get("cot") and len(best.get("examples", [])) >= 1 and not best.get("self_critique"), f"best configuration {best}"


@pytest.mark.parametrize("budget", [10, 23, 57, 140])
def test_the_budget_is_never_exceeded(impl, budget):
    model = PromptSensitiveModel()
    result = impl.optimize(INITIAL, make_evaluate(impl), model, budget=budget, pool=POOL, seed=1)
    assert model.calls <= budget, f"the optimizer made {model.calls} LLM calls with a budget of {budget}"
    assert result["calls"] == model.calls, f"reported {result['calls']} calls, the model saw {model.calls}"
    assert len(result["trajectory"]) >= 1 + (budget >= 30), "a larger budget must evaluate candidates beyond the initial one"


def test_budget_too_small_for_the_first_evaluation(impl):
    assert_raises_clearly(ValueError, impl.optimize, INITIAL, make_evaluate(impl), PromptSensitiveModel(), 5, POOL, what="a budget below one evaluation")
    assert_raises_clearly(ValueError, impl.optimize, INITIAL, make_evaluate(impl), PromptSensitiveModel(), 0, POOL, what="a zero budget")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trajectory_best_so_far_never_decreases_and_the_best_is_returned(impl, seed):
    evaluate = make_evaluate(impl)
    result = impl.optimize(INITIAL, evaluate, PromptSensitiveModel(), budget=120, pool=POOL, seed=seed)
    trajectory = result["trajectory"]
    assert trajectory[0]["strategy"] == "initial"
    best_so_far = np.maximum.accumulate([t["score"] for t in trajectory])
    assert [t["best_score"] for t in trajectory] == pytest.approx(list(best_so_far)), "best_score must be the running maximum of the scores"
    assert result["score"] == pytest.approx(best_so_far[-1]), f"returned score {result['score']} but the best seen was {best_so_far[-1]}: the optimizer kept the last candidate, not the best"
    assert evaluate(result["best"], PromptSensitiveModel()) == pytest.approx(result["score"]), "the returned configuration does not score what was reported"
    assert {t["strategy"] for t in trajectory[1:]} <= set(MUTATIONS)


def test_same_seed_same_search(impl):
    runs = [impl.optimize(INITIAL, make_evaluate(impl), PromptSensitiveModel(), budget=90, pool=POOL, seed=5) for _ in range(2)]
    assert runs[0]["trajectory"] == runs[1]["trajectory"] and runs[0]["best"] == runs[1]["best"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_best_not_the_last_candidate_is_returned(impl, seed):
    """Three switches, eight configurations, a unique best (CoT alone): the search ends when
    a round finds nothing new, and its last candidate is always a worse neighbour of the best."""
    def evaluate(config, llm):
        llm("score me")  # one counted call per evaluation
        return 0.5 + 0.4 * bool(config.get("cot")) - 0.3 * bool(config.get("role")) - 0.2 * bool(config.get("self_critique"))

    result = impl.optimize(INITIAL, evaluate, lambda prompt, temperature=0.0, seed=None: "ok", budget=50, pool=(), seed=seed, strategies=("toggle_cot", "role", "self_critique"))
    scores = [t["score"] for t in result["trajectory"]]
    assert result["score"] == pytest.approx(0.9) and max(scores) == pytest.approx(0.9), f"returned {result['score']}, trajectory scores {scores}: the optimizer kept the last candidate, not the best"
    assert result["best"].get("cot") and not result["best"].get("role") and not result["best"].get("self_critique"), f"returned {result['best']}"
    assert result["calls"] == len(scores) <= 8, "each distinct configuration is evaluated once"
