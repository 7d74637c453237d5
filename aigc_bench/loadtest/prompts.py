"""Prompts for a load test: from a file, or generated with given input/output lengths.

A file is JSON lines ({"prompt": "...", "output_len": 128} per line; output_len
optional) or plain text (one prompt per line). Generated prompts are
`input_len` common English words drawn with a seed: each is one token in the
BERT and GPT-2 vocabularies, so the prompt is about `input_len` tokens
(the exact count comes back in the server's `usage`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WORDS = (
    "the of and to in is was for on that with as by at from his her they this be are an which or had "
    "not were but have one all their has been new more first after also who two its other time out "
    "many most people only some over such when these into world about city then may used three state "
    "school while would well year where made can part during later could both between known since under "
    "name team game small high long family music found war life house day work water band film book"
).split()


@dataclass(frozen=True)
class PromptSpec:
    prompt: str
    output_len: int


def generated_prompts(n: int, input_len: int, output_len: int, seed: int = 0) -> list[PromptSpec]:
    if input_len < 1 or output_len < 1:
        raise ValueError(f"input and output lengths must be >= 1, got {input_len} and {output_len}")
    rng = np.random.default_rng(seed)
    return [PromptSpec(" ".join(rng.choice(WORDS, size=input_len)), output_len) for _ in range(n)]


def prompts_from_file(path: str | Path, n: int, default_output_len: int) -> list[PromptSpec]:
    """The first n prompts of a file, cycled when it holds fewer."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"prompts file {path} does not exist")
    specs = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                obj = json.loads(line)
                specs.append(PromptSpec(str(obj["prompt"]), int(obj.get("output_len", default_output_len))))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: expected {{\"prompt\": str, \"output_len\": int}}: {exc}") from None
        else:
            specs.append(PromptSpec(line, default_output_len))
    if not specs:
        raise ValueError(f"prompts file {path} holds no prompt")
    return [specs[i % len(specs)] for i in range(n)]
