"""The prompting strategies end to end over real HTTP: chain of thought, self-consistency
and ReAct through aigc_bench.llm.OpenAICompatibleLLM, against our own server (marker
`server`, in the default run) and against any endpoint in OPENAI_BASE_URL (marker `llm`).

Our server's model has random weights: these tests check the plumbing (requests reach
the model, completions come back and are parsed, seeds reach the server, the loops
stop), never answer quality."""

import os

import pytest

from aigc_bench.llm import OpenAICompatibleLLM
from impls.numpy import prompt_strategies as strategies

from .conftest import MODEL

QUESTION = "A box holds 12 apples and another holds 30. How many apples are there?"


def exercise_strategies(llm):
    answer, completion = strategies.chain_of_thought(llm, "Solve the problem.", QUESTION)
    assert isinstance(completion, str) and completion, "chain of thought got an empty completion"
    assert answer == strategies.extract_answer(completion)

    vote, samples = strategies.self_consistency(llm, "Solve the problem.", QUESTION, n=3, temperature=0.8, seed=0)
    assert len(samples) == 3
    assert vote == strategies.majority_vote(samples)

    calls = []
    tools = {"add": lambda text: calls.append(text) or str(sum(int(x) for x in text.split("+")))}
    result = strategies.react(llm, QUESTION, tools, max_steps=2)
    assert result["stopped"] in ("answer", "step_limit") and 1 <= len(result["steps"]) <= 2
    assert len(result["observations"]) == len(result["steps"]) - (result["stopped"] == "answer")
    return {"cot": completion, "samples": samples, "react": result}


@pytest.mark.server
def test_strategies_against_our_server(prompt_server):
    llm = OpenAICompatibleLLM(prompt_server.base_url, MODEL, max_tokens=6)
    outcome = exercise_strategies(llm)
    assert outcome["react"]["stopped"] == "step_limit", "random weights do not write 'Final Answer:'; the loop must end at its step limit"


@pytest.mark.llm
def test_strategies_against_an_endpoint():
    if not os.environ.get("OPENAI_BASE_URL"):
        pytest.skip("needs an OpenAI-compatible endpoint: set OPENAI_BASE_URL (and OPENAI_MODEL)")
    if not os.environ.get("OPENAI_MODEL"):
        pytest.skip("OPENAI_BASE_URL is set but OPENAI_MODEL is not: name the model to call")
    # AIGC_BENCH_MAX_TOKENS: lower it for small-context endpoints (our server's context is 512 tokens)
    exercise_strategies(OpenAICompatibleLLM(max_tokens=int(os.environ.get("AIGC_BENCH_MAX_TOKENS", "256"))))
