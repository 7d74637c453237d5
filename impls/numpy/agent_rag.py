"""Agent-based RAG: a ReAct loop (reason, act with a tool, observe) over code search
and file reading (stage 4; Day 41-47's ReAct)."""

from __future__ import annotations

import re

_ACTION = re.compile(r"^\s*Action\s*:\s*([A-Za-z_][\w-]*)\s*\[(.*)\]\s*$", re.M)
_FINAL = re.compile(r"^\s*Final Answer\s*:\s*(.*)", re.M | re.S)

SYSTEM = """You answer questions about a code base. You may use these tools:
{tools}
Work in turns. In each turn write a line "Thought: ..." and then either
one line "Action: tool[argument]" (then wait for the Observation), or
"Final Answer: ..." citing the code you read as path:start-end."""


def parse_action(text):
    final = _FINAL.search(text)
    if final:
        return "final", final.group(1).strip()
    actions = _ACTION.findall(text)
    if actions:
        tool, argument = actions[-1]
        return tool, argument.strip()
    return "invalid", "no 'Action: tool[argument]' line and no 'Final Answer:'"


def react_agent(question, tools, complete, max_steps=6):
    listing = "\n".join(f"- {name}[...]: {(fn.__doc__ or '').strip().splitlines()[0] if fn.__doc__ else name}" for name, fn in tools.items())
    messages = [
        {"role": "system", "content": SYSTEM.format(tools=listing)},
        {"role": "user", "content": f"Question: {question}"},
    ]
    steps = []
    for _ in range(max_steps):
        turn = complete(list(messages))
        messages.append({"role": "assistant", "content": turn})
        action, argument = parse_action(turn)
        if action == "final":
            return {"answer": argument, "finished": True, "steps": steps, "messages": messages}
        if action == "invalid":
            observation = f"Invalid turn: {argument}. Use 'Action: tool[argument]' with one of {', '.join(tools)}, or 'Final Answer: ...'."
        elif action not in tools:
            observation = f"Unknown tool {action!r}; the tools are {', '.join(tools)}."
        else:
            try:
                observation = str(tools[action](argument))
            except Exception as exc:  # a tool's failure is something the model can react to
                observation = f"{action} failed: {type(exc).__name__}: {exc}"
        steps.append({"action": action, "argument": argument, "observation": observation})
        messages.append({"role": "user", "content": f"Observation: {observation}"})
    return {"answer": f"No final answer after {max_steps} steps.", "finished": False, "steps": steps, "messages": messages}
