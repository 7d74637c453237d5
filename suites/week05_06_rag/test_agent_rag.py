"""Agent-based RAG (stage 4): the ReAct loop's logic with a seeded test double of the
model, and end to end against a real endpoint (marker `llm`), measured against plain
RAG on the same questions."""

import random
import re

import pytest

from aigc_bench.checks import fail

SKILL = "agent_rag"


class ScriptedModel:
    """A test double of the chat model: a fixed policy (search, read the hit it picks,
    answer citing it), with a seeded choice among the hits and optional bad turns.
    It exercises the loop; it measures nothing about language models."""

    def __init__(self, seed=0, bad_turns=0, never_answer=False):
        self.rng = random.Random(seed)
        self.bad_turns = bad_turns
        self.never_answer = never_answer
        self.seen = []  # the messages of each call

    def __call__(self, messages):
        self.seen.append([dict(m) for m in messages])
        if self.bad_turns:
            self.bad_turns -= 1
            return "I think I should look around."  # neither an action nor a final answer
        last = messages[-1]["content"]
        question = messages[1]["content"].removeprefix("Question: ")
        if self.never_answer or not last.startswith("Observation:"):
            return f"Thought: search first.\nAction: search[{question}]"
        hits = re.findall(r"(\S+:\d+-\d+)", last)
        if last.startswith("Observation: Invalid") or last.startswith("Observation: Unknown"):
            return f"Thought: try again.\nAction: search[{question}]"
        if "read" not in " ".join(m["content"] for m in messages if m["role"] == "assistant"):
            return f"Thought: read one.\nAction: read_file[{hits[self.rng.randrange(min(2, len(hits)))] if hits else 'none'}]"
        cited = next((m for m in reversed(messages) if m["role"] == "assistant" and "read_file[" in m["content"]), None)
        where = re.search(r"read_file\[(.*)\]", cited["content"]).group(1)
        return f"Thought: done.\nFinal Answer: see {where}"


def _tools(calls):
    def search(query):
        """search the code"""
        calls.append(("search", query))
        return "pkg/a.py:1-9 parse: def parse(x):\npkg/b.py:3-7 load: def load(p):"

    def read_file(citation):
        """read lines"""
        calls.append(("read_file", citation))
        return "1: def parse(x):"

    return {"search": search, "read_file": read_file}


def test_parse_action(impl):
    assert impl.parse_action("Thought: hm\nAction: search[how to parse]") == ("search", "how to parse")
    assert impl.parse_action("Thought: x\nAction: search[a]\nAction: read_file[p.py:1-2]") == ("read_file", "p.py:1-2"), "the last Action wins"
    assert impl.parse_action("Thought: ok\nFinal Answer: it parses\nlines") == ("final", "it parses\nlines")
    kind, reason = impl.parse_action("just chatting")
    assert kind == "invalid" and reason


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_react_loop_searches_reads_and_answers(impl, seed):
    calls = []
    model = ScriptedModel(seed)
    result = impl.react_agent("How is input parsed?", _tools(calls), model, max_steps=6)
    assert result["finished"], f"the loop stopped without the final answer: {result}"
    assert [c[0] for c in calls] == ["search", "read_file"], f"tool calls: {calls}"
    assert result["answer"].startswith("see pkg/"), result["answer"]
    assert [s["action"] for s in result["steps"]] == ["search", "read_file"]
    # The observation of each action reaches the model in the next call.
    second_call = model.seen[1]
    if not second_call[-1]["content"].startswith("Observation: pkg/a.py:1-9"):
        fail(f"the search result was not sent back as an Observation: {second_call[-1]}")
    assert model.seen[0][0]["role"] == "system" and "search" in model.seen[0][0]["content"] and "read_file" in model.seen[0][0]["content"]


def test_react_loop_recovers_from_bad_turns_and_stops(impl):
    calls = []
    result = impl.react_agent("q", _tools(calls), ScriptedModel(bad_turns=2), max_steps=6)
    assert result["finished"], result["answer"]
    assert result["steps"][0]["action"] == "invalid" and "Action" in result["steps"][0]["observation"]
    stuck = impl.react_agent("q", _tools([]), ScriptedModel(never_answer=True), max_steps=3)
    assert not stuck["finished"] and len(stuck["steps"]) == 3, "max_steps bounds the loop"
    unknown = impl.react_agent("q", _tools([]), lambda m: "Action: grep[x]" if len(m) < 4 else "Final Answer: no", max_steps=3)
    assert "Unknown tool" in unknown["steps"][0]["observation"]


@pytest.mark.llm
def test_agent_against_plain_rag_with_an_endpoint(impl, llm_endpoint, embedder, tmp_path, run_record):
    """With a real model: the agent's cited location vs plain RAG's top hit, on the dev questions."""

    from aigc_bench import rag_eval
    from aigc_bench.rag_system import CodeQA, agent_tools, chat

    base_url, model = llm_endpoint
    eval_set = rag_eval.build_eval_set("click", files=["click/formatting.py", "click/utils.py"], max_queries=10)
    repo = tmp_path / "repo"
    for path, text in eval_set.files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    qa = CodeQA(repo, embed=embedder)
    qa.index()
    agent_hits, plain_hits, failures = 0, 0, []
    for q in eval_set.queries:
        plain = qa.search(q.text, k=1)
        plain_hits += bool(plain) and rag_eval.function_of(plain[0][0], eval_set.functions[q.path]) == rag_eval.relevant_function(q)
        try:
            result = impl.react_agent(q.text, agent_tools(qa), lambda m: chat(m, model, temperature=0), max_steps=6)
        except Exception as exc:
            failures.append(f"{q.qualname}: {type(exc).__name__}: {exc}")
            continue
        cited = re.findall(r"(\S+\.py):(\d+)-(\d+)", result["answer"])
        agent_hits += any(p == q.path and int(a) <= q.end_line and int(b) >= q.start_line for p, a, b in cited)
    run_record.add_section("rag", {"kind": "agent_vs_plain", "model": model, "queries": len(eval_set.queries), "agent_hit": agent_hits, "plain_top1_hit": plain_hits, "failures": failures})
    print(f"agent cites the target in {agent_hits}/{len(eval_set.queries)}, plain top-1 {plain_hits}; failed calls: {failures}")
    assert not failures, f"LLM calls failed: {failures}"
