"""Prompting strategies over any LLM client `llm(prompt, temperature=, seed=) -> str`."""

import re
from collections import Counter

_ANSWER = re.compile(r"(?:final\s+answer|answer)\s*[:：]\s*(.*)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_ACTION = re.compile(r"Action\s*:\s*([A-Za-z_][\w-]*)\s*\[(.*)\]\s*$", re.IGNORECASE | re.MULTILINE | re.DOTALL)
_FINAL = re.compile(r"Final\s+Answer\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)


def extract_answer(text):
    if text is None:
        return None
    markers = list(_ANSWER.finditer(text))
    if markers:
        return markers[-1].group(1).splitlines()[0].strip() if markers[-1].group(1) else ""
    numbers = _NUMBER.findall(text)
    return numbers[-1] if numbers else None


def normalize_answer(answer):
    if answer is None:
        return None
    text = " ".join(str(answer).strip().lower().split()).rstrip(".!?;:,")
    candidate = text.replace(",", "")
    if re.fullmatch(r"-?\d+(?:\.\d+)?", candidate):
        value = float(candidate)
        text = str(int(value)) if value == int(value) else repr(value).rstrip("0")
    return text


def majority_vote(answers):
    counts = Counter(a for a in map(normalize_answer, answers) if a is not None)
    if not counts:
        return None
    best = max(counts.values())
    return min(a for a, c in counts.items() if c == best)  # order-independent tie rule


def few_shot_prompt(instruction, examples, question):
    parts = [instruction.strip(), ""]
    for source, target in examples:
        parts += [f"Input: {source}", f"Output: {target}", ""]
    parts += [f"Input: {question}", "Output:"]
    return "\n".join(parts)


def chain_of_thought(llm, instruction, question, temperature=0.0, seed=None):
    prompt = (f"{instruction.strip()}\n\nQuestion: {question}\n"
              "Let's think step by step, then give the result on a last line as 'Answer: <answer>'.")
    completion = llm(prompt, temperature=temperature, seed=seed)
    return extract_answer(completion), completion


def self_consistency(llm, instruction, question, n=5, temperature=0.7, seed=0):
    answers = [chain_of_thought(llm, instruction, question, temperature, seed + i)[0] for i in range(n)]
    return majority_vote(answers), answers


def _react_prompt(question, tools, transcript):
    names = ", ".join(sorted(tools))
    header = (f"Answer the question. You can use tools: {names}.\n"
              "Reply with either 'Action: <tool>[<input>]' or 'Final Answer: <answer>'.\n\n"
              f"Question: {question}\n")
    return header + "".join(transcript)


def react(llm, question, tools, max_steps=6):
    transcript, steps, observations = [], [], []
    for _ in range(max_steps):
        completion = llm(_react_prompt(question, tools, transcript), temperature=0.0)
        steps.append(completion)
        final = _FINAL.search(completion)
        action = _ACTION.search(completion)
        if final and (not action or final.start() < action.start()):
            return {"answer": final.group(1).strip(), "steps": steps, "observations": observations, "stopped": "answer"}
        if action is None:
            observation = "Invalid format: reply with 'Action: <tool>[<input>]' or 'Final Answer: <answer>'."
        elif action.group(1) not in tools:
            observation = f"Unknown tool {action.group(1)!r}; available: {', '.join(sorted(tools))}."
        else:
            try:
                observation = str(tools[action.group(1)](action.group(2).strip()))
            except Exception as exc:  # a tool's failure is information for the model, not a crash
                observation = f"Tool error: {type(exc).__name__}: {exc}"
        observations.append(observation)
        transcript.append(f"{completion.strip()}\nObservation: {observation}\n")
    return {"answer": None, "steps": steps, "observations": observations, "stopped": "step_limit"}


def tree_of_thought(problem, propose, score, beam_width=2, depth=3):
    frontier, kept = [problem], []
    for _ in range(depth):
        children = [f"{state}\n{thought}" for state in frontier for thought in propose(state)]
        if not children:
            break
        ranked = sorted(children, key=lambda c: (-score(c), c))
        frontier = ranked[:beam_width]
        kept.append(list(frontier))
    return frontier[0], kept


def meta_prompt(llm, task, question):
    request = (f"Write a clear, specific prompt that makes a language model do this task well:\n{task}\n"
               "Use the placeholder {question} where the input goes. Reply with the prompt only.")
    written = llm(request, temperature=0.0).strip()
    filled = written.replace("{question}", question) if "{question}" in written else f"{written}\n\n{question}"
    return written, llm(filled, temperature=0.0)
