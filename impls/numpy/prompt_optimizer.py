"""A prompt optimizer: configurations rendered to prompts, 8 mutation strategies, and
first-improvement hill-climbing within a budget of LLM calls."""

import hashlib

import numpy as np

from aigc_bench.llm import Budgeted, BudgetExhausted

MUTATIONS = ("rewrite_instruction", "add_example", "remove_example", "toggle_cot",
             "output_format", "role", "self_critique", "reorder_examples")
DEFAULTS = {"instruction": "", "role": None, "examples": (), "cot": False, "output_format": None, "self_critique": False}
ANSWER_FORMAT = "Give the final result on a last line as 'Answer: <answer>'."
ROLE = "a careful expert"
COT_LINE = "Let's think step by step."
CRITIQUE_LINE = "Before the final output, check your answer for mistakes and fix them."


def _complete(config):
    full = {**DEFAULTS, **config}
    full["examples"] = [tuple(e) for e in full["examples"]]
    return full


def render_config(config, question):
    c = _complete(config)
    if not str(c["instruction"]).strip():
        raise ValueError("the configuration's instruction is empty: a prompt needs an instruction")
    lines = []
    if c["role"]:
        lines.append(f"You are {c['role']}.")
    lines.append(c["instruction"].strip())
    if c["output_format"]:
        lines.append(c["output_format"])
    lines.append("")
    for source, target in c["examples"]:
        lines += [f"Input: {source}", f"Output: {target}", ""]
    lines.append(f"Input: {question}")
    if c["cot"]:
        lines.append(COT_LINE)
    if c["self_critique"]:
        lines.append(CRITIQUE_LINE)
    lines.append("Output:")
    return "\n".join(lines)


def _rewrite_request(instruction):
    return ("Rewrite the following instruction for a language model so that it is clearer and more specific. "
            "Reply with the rewritten instruction only, on one line.\n\n"
            f"Instruction: {instruction}")


def mutate(config, strategy, llm, pool, rng):
    c = _complete(config)  # a fresh dict and a fresh examples list: the input is never modified
    examples = c["examples"]
    if strategy == "rewrite_instruction":
        reply = llm(_rewrite_request(c["instruction"]), temperature=0.7, seed=int(rng.integers(2**31)))
        lines = [line.strip().strip("\"'").strip() for line in (reply or "").splitlines()]
        lines = [line for line in lines if line]
        if lines:
            c["instruction"] = lines[0].removeprefix("Instruction:").strip() or c["instruction"]
    elif strategy == "add_example":
        unused = [tuple(e) for e in pool if tuple(e) not in examples]
        if unused:
            c["examples"] = examples + [unused[int(rng.integers(len(unused)))]]
    elif strategy == "remove_example":
        if examples:
            drop = int(rng.integers(len(examples)))
            c["examples"] = examples[:drop] + examples[drop + 1:]
    elif strategy == "toggle_cot":
        c["cot"] = not c["cot"]
    elif strategy == "self_critique":
        c["self_critique"] = not c["self_critique"]
    elif strategy == "output_format":
        c["output_format"] = None if c["output_format"] else ANSWER_FORMAT
    elif strategy == "role":
        c["role"] = None if c["role"] else ROLE
    elif strategy == "reorder_examples":
        if len(examples) >= 2:
            order = rng.permutation(len(examples))
            if (order == np.arange(len(examples))).all():
                order = np.roll(order, 1)  # a permutation that changes nothing is no candidate
            c["examples"] = [examples[i] for i in order]
    else:
        raise ValueError(f"unknown mutation strategy {strategy!r}; known: {', '.join(MUTATIONS)}")
    return c


def prompt_hash(config):
    """Identity of a configuration: the hash of its rendering (with a placeholder input)."""
    return hashlib.sha256(render_config(config, "{input}").encode()).hexdigest()[:16]


def optimize(initial, evaluate, llm, budget, pool=(), seed=0, strategies=None):
    if budget < 1:
        raise ValueError(f"the budget must allow at least one LLM call, got {budget}")
    strategies = tuple(MUTATIONS if strategies is None else strategies)
    unknown = [s for s in strategies if s not in MUTATIONS]
    if unknown:
        raise ValueError(f"unknown mutation strategies {unknown}; known: {', '.join(MUTATIONS)}")
    rng = np.random.default_rng(seed)
    budgeted = Budgeted(llm, budget)  # every call, by evaluate or by a mutation, is counted here
    best = _complete(initial)
    try:
        best_score = float(evaluate(best, budgeted))
    except BudgetExhausted:
        raise ValueError(f"a budget of {budget} LLM calls cannot evaluate even the initial configuration") from None
    trajectory = [{"step": 0, "strategy": "initial", "score": best_score, "best_score": best_score, "prompt_hash": prompt_hash(best)}]
    seen = {trajectory[0]["prompt_hash"]}
    try:
        while True:
            new_in_round = 0
            for index in rng.permutation(len(strategies)):
                strategy = strategies[index]
                candidate = mutate(best, strategy, budgeted, pool, rng)
                key = prompt_hash(candidate)
                if key in seen:
                    continue
                seen.add(key)
                new_in_round += 1
                score = float(evaluate(candidate, budgeted))
                if score > best_score:  # strictly better: ties keep the simpler incumbent
                    best, best_score = candidate, score
                trajectory.append({"step": len(trajectory), "strategy": strategy, "score": score, "best_score": best_score, "prompt_hash": key})
            if new_in_round == 0:
                break
    except BudgetExhausted:
        pass  # the candidate being evaluated when the budget ran out is discarded
    return {"best": best, "score": best_score, "calls": budgeted.calls, "trajectory": trajectory}
