"""Task templates for week 7: code generation, bug detection and code review, each with
three prompt variants (stored in a PromptRegistry) and a small evaluation set whose
scoring is deterministic:

- code generation: the model's code runs against unit tests in a subprocess with a
  timeout (pass = 1, fail / syntax error / timeout = 0);
- bug detection: the line numbers the model names, against the lines where bugs were
  injected into a correct function (F1 of the two sets);
- code review: the fraction of the snippet's checklist items the review mentions.

Also JSONL datasets of {"input": ..., "expected": ...} scored by exact match of the
extracted answer. Every template has one variable, {input}.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from impls.numpy.prompt_strategies import extract_answer, normalize_answer
from impls.numpy.prompt_templates import PromptRegistry, render, template_variables

# ------------------------------------------------------------------ running code


def extract_code(completion: str) -> str:
    """The first fenced block (```python or ```), else the whole completion."""
    fenced = re.search(r"```(?:python|py)?[ \t]*\n(.*?)```", completion or "", re.DOTALL)
    return fenced.group(1) if fenced else (completion or "")


def run_code_against_tests(code: str, tests: str, timeout: float = 5.0) -> dict:
    """Run `code` then `tests` (plain asserts) in a fresh isolated interpreter in a
    temporary folder. Returns {"passed": bool, "status": "passed" | "failed" |
    "syntax_error" | "timeout", "detail": str}."""
    try:
        compile(code, "<model code>", "exec")
    except SyntaxError as exc:  # checked here so the status names it; the subprocess would say the same
        return {"passed": False, "status": "syntax_error", "detail": f"line {exc.lineno}: {exc.msg}"}
    with tempfile.TemporaryDirectory(prefix="aigc-codegen-") as folder:
        script = Path(folder) / "candidate.py"
        script.write_text(f"{code}\n\n# --- tests\n{tests}\n")
        try:
            done = subprocess.run([sys.executable, "-I", str(script)], cwd=folder, capture_output=True, text=True, timeout=timeout,
                                  env={"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"})
        except subprocess.TimeoutExpired:
            return {"passed": False, "status": "timeout", "detail": f"killed after {timeout:g} s"}
    if done.returncode == 0:
        return {"passed": True, "status": "passed", "detail": ""}
    return {"passed": False, "status": "failed", "detail": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"}


# ------------------------------------------------------------------ tasks


@dataclass
class Task:
    name: str
    variants: list[str]  # prompt templates with the variable {input}
    items: list[dict]  # each has "input" plus what its scorer needs
    score_item: Callable[[dict, str], float]  # (item, completion) -> score in [0, 1]
    examples: list[tuple[str, str]] = field(default_factory=list)  # few-shot pool for the optimizer
    instruction: str = ""  # the optimizer's starting instruction

    def score(self, item: dict, completion: str) -> float:
        return float(self.score_item(item, completion))


def _score_code(item, completion):
    return 1.0 if run_code_against_tests(extract_code(completion), item["tests"], timeout=item.get("timeout", 5.0))["passed"] else 0.0


CODEGEN_ITEMS = [
    {"id": "gcd", "input": "Write a Python function gcd(a, b) returning the greatest common divisor of two non-negative integers (gcd(0, 0) == 0).",
     "tests": "assert gcd(12, 18) == 6\nassert gcd(7, 0) == 7\nassert gcd(0, 0) == 0\nassert gcd(17, 5) == 1",
     "solution": "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a"},
    {"id": "reverse_words", "input": "Write a Python function reverse_words(s) that returns the words of s in reverse order, separated by single spaces.",
     "tests": "assert reverse_words('a b  c') == 'c b a'\nassert reverse_words('') == ''\nassert reverse_words('one') == 'one'",
     "solution": "def reverse_words(s):\n    return ' '.join(reversed(s.split()))"},
    {"id": "is_palindrome", "input": "Write a Python function is_palindrome(s) that ignores case and non-alphanumeric characters.",
     "tests": "assert is_palindrome('A man, a plan, a canal: Panama')\nassert not is_palindrome('abc')\nassert is_palindrome('')",
     "solution": "def is_palindrome(s):\n    t = [c.lower() for c in s if c.isalnum()]\n    return t == t[::-1]"},
    {"id": "running_sum", "input": "Write a Python function running_sum(xs) returning the list of prefix sums of xs.",
     "tests": "assert running_sum([1, 2, 3]) == [1, 3, 6]\nassert running_sum([]) == []\nassert running_sum([-1, 1]) == [-1, 0]",
     "solution": "def running_sum(xs):\n    out, total = [], 0\n    for x in xs:\n        total += x\n        out.append(total)\n    return out"},
    {"id": "count_vowels", "input": "Write a Python function count_vowels(s) counting the letters a, e, i, o, u in s, in either case.",
     "tests": "assert count_vowels('Hello World') == 3\nassert count_vowels('') == 0\nassert count_vowels('AEIOUxyz') == 5",
     "solution": "def count_vowels(s):\n    return sum(c in 'aeiou' for c in s.lower())"},
]

# A correct function, and bugs injected at known lines (1-based) of the shown code.
BUG_ITEMS_SOURCE = [
    {"id": "binary_search", "correct": "def binary_search(xs, target):\n    lo, hi = 0, len(xs) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n        if xs[mid] == target:\n            return mid\n        if xs[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1",
     "inject": {3: "    while lo < hi:\n"}, "tests": "assert binary_search([1, 3, 5], 5) == 2\nassert binary_search([2], 2) == 0\nassert binary_search([1, 2], 3) == -1"},
    {"id": "average", "correct": "def average(xs):\n    if not xs:\n        return 0.0\n    total = 0\n    for x in xs:\n        total += x\n    return total / len(xs)",
     "inject": {6: "        total = x\n"}, "tests": "assert average([1, 2, 3]) == 2\nassert average([]) == 0.0"},
    {"id": "max_index", "correct": "def max_index(xs):\n    best = 0\n    for i in range(1, len(xs)):\n        if xs[i] > xs[best]:\n            best = i\n    return best",
     "inject": {3: "    for i in range(1, len(xs) - 1):\n", 4: "        if xs[i] < xs[best]:\n"}, "tests": "assert max_index([1, 5, 2, 9]) == 3\nassert max_index([4]) == 0"},
    {"id": "factorial", "correct": "def factorial(n):\n    result = 1\n    for k in range(2, n + 1):\n        result *= k\n    return result",
     "inject": {3: "    for k in range(2, n):\n"}, "tests": "assert factorial(5) == 120\nassert factorial(0) == 1\nassert factorial(1) == 1"},
]


def inject_bugs(correct: str, inject: dict[int, str]) -> str:
    lines = correct.splitlines(keepends=True)
    lines = [line if line.endswith("\n") else line + "\n" for line in lines]
    for number, replacement in inject.items():
        lines[number - 1] = replacement
    return "".join(lines).rstrip("\n")


def number_lines(code: str) -> str:
    return "\n".join(f"{i:>2}| {line}" for i, line in enumerate(code.splitlines(), 1))


BUG_ITEMS = [{"id": s["id"], "input": number_lines(inject_bugs(s["correct"], s["inject"])), "bug_lines": sorted(s["inject"]),
              "buggy": inject_bugs(s["correct"], s["inject"]), "correct": s["correct"], "tests": s["tests"]} for s in BUG_ITEMS_SOURCE]

_LINE_REFERENCE = re.compile(r"\blines?\s+(\d+(?:\s*(?:,|and|&|-)\s*\d+)*)", re.IGNORECASE)


def reported_lines(completion: str) -> set[int]:
    """Line numbers a review names: "line 3", "Lines 3 and 5", "lines 2, 4"."""
    found = set()
    for m in _LINE_REFERENCE.finditer(completion or ""):
        found.update(int(n) for n in re.findall(r"\d+", m.group(1)))
    return found


def _score_bugs(item, completion):
    predicted, truth = reported_lines(completion), set(item["bug_lines"])
    hits = len(predicted & truth)
    if hits == 0:
        return 0.0
    precision, recall = hits / len(predicted), hits / len(truth)
    return 2 * precision * recall / (precision + recall)  # F1: naming every line is no strategy


# Checklist items a review should raise, each recognised by any of its keywords.
CHECKLIST = {
    "sql_injection": ("sql injection", "parameterized", "parameterised", "placeholder", "injection"),
    "resource_leak": ("not closed", "close the", "context manager", "with open", "leak"),
    "bare_except": ("bare except", "except:", "swallow", "catch-all", "catches all"),
    "mutable_default": ("mutable default", "default argument", "shared list", "shared between calls"),
    "hardcoded_secret": ("hard-coded", "hardcoded", "secret", "credential", "environment variable"),
    "quadratic": ("o(n^2)", "o(n**2)", "quadratic", "use a set", "nested loop"),
}

REVIEW_ITEMS = [
    {"id": "user_lookup", "input": "import sqlite3\n\ndef find_user(name):\n    conn = sqlite3.connect('app.db')\n    rows = conn.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\").fetchall()\n    return rows",
     "checklist": ["sql_injection", "resource_leak"]},
    {"id": "config_loader", "input": "API_KEY = 'sk-live-1234'\n\ndef load(path, cache=[]):\n    try:\n        data = open(path).read()\n    except:\n        data = ''\n    cache.append(data)\n    return data",
     "checklist": ["hardcoded_secret", "mutable_default", "bare_except", "resource_leak"]},
    {"id": "dedupe", "input": "def dedupe(items):\n    out = []\n    for x in items:\n        if x not in out:\n            out.append(x)\n    return out",
     "checklist": ["quadratic"]},
]


def _score_review(item, completion):
    text = (completion or "").lower()
    found = [name for name in item["checklist"] if any(k in text for k in CHECKLIST[name])]
    return len(found) / len(item["checklist"])


TASKS = {
    "code_generation": Task(
        "code_generation",
        variants=[
            "{input}\nReply with the code only.",
            "You are an expert Python programmer.\n{input}\nReturn one ```python code block with the complete function and nothing else.",
            "Task: {input}\nThink about edge cases (empty input, zero) first, then write the function in a ```python block.",
        ],
        items=CODEGEN_ITEMS, score_item=_score_code,
        examples=[("Write a Python function square(x) returning x squared.", "```python\ndef square(x):\n    return x * x\n```"),
                  ("Write a Python function first(xs) returning the first element or None.", "```python\ndef first(xs):\n    return xs[0] if xs else None\n```")],
        instruction="Write the requested Python function in a ```python code block."),
    "bug_detection": Task(
        "bug_detection",
        variants=[
            "Find the bugs in this code. Name each buggy line as 'line N'.\n{input}",
            "You are a meticulous code reviewer. The code below has numbered lines and contains one or more injected bugs.\n{input}\nList every buggy line as 'Line N: <what is wrong>'. Do not list correct lines.",
            "Trace this code on a small input, compare with what its name promises, and report each line that is wrong as 'line N'.\n{input}",
        ],
        items=BUG_ITEMS, score_item=_score_bugs,
        examples=[(number_lines("def last(xs):\n    return xs[len(xs)]"), "Line 2: index out of range; use xs[-1] or xs[len(xs) - 1].")],
        instruction="Find the bugs in the numbered code and name each buggy line as 'Line N'."),
    "code_review": Task(
        "code_review",
        variants=[
            "Review this code.\n{input}",
            "Review this code against the checklist: SQL injection, resource leaks (files/connections not closed), bare except, mutable default arguments, hard-coded secrets, quadratic loops.\n{input}",
            "You are a senior engineer doing a security and reliability review. For each problem give the checklist item (injection, leak, bare except, mutable default, hardcoded secret, quadratic complexity) and a fix.\n{input}",
        ],
        items=REVIEW_ITEMS, score_item=_score_review,
        examples=[("def total(path):\n    f = open(path)\n    return sum(map(int, f))", "Resource leak: the file is not closed; use a context manager (with open(path) as f).")],
        instruction="Review the code against the checklist: SQL injection, resource leaks, bare except, mutable defaults, hard-coded secrets, quadratic loops."),
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}; tasks: {', '.join(TASKS)}")
    return TASKS[name]


def seed_registry(registry: PromptRegistry, task: Task) -> None:
    """Store the task's variants as versions 1..3 of the template named after it (once)."""
    try:
        registry.get(task.name)
        return
    except KeyError:
        pass
    for number, text in enumerate(task.variants, 1):
        registry.save(task.name, text, f"built-in variant {number}")


# ------------------------------------------------------------------ JSONL datasets


def _score_exact(item, completion):
    return 1.0 if normalize_answer(extract_answer(completion)) == normalize_answer(str(item["expected"])) else 0.0


def load_dataset(path: str | Path) -> list[dict]:
    """JSON lines, each an object with "expected" and the template's variables (e.g. "input")."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"dataset {path} does not exist")
    items = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(item, dict) or "expected" not in item:
            raise ValueError(f"{path}:{number}: each line must be an object with an \"expected\" answer")
        items.append(item)
    if not items:
        raise ValueError(f"dataset {path} has no items")
    return items


def dataset_task(path: str | Path) -> Task:
    return Task(Path(path).stem, variants=[], items=load_dataset(path), score_item=_score_exact)


def fill(template: str, item: dict) -> str:
    """The template rendered with the item's fields of the same names."""
    names = template_variables(template)
    missing = [n for n in names if n not in item]
    if missing:
        raise ValueError(f"the template needs {', '.join('{' + n + '}' for n in missing)} but item {item.get('id', '?')!r} has only the fields {', '.join(sorted(item))}")
    return render(template, {n: item[n] for n in names})


def score_template(task: Task, template: str, llm) -> list[float]:
    """One LLM call per item (temperature 0): the per-item scores, in item order."""
    return [task.score(item, llm(fill(template, item), temperature=0.0, seed=0)) for item in task.items]
