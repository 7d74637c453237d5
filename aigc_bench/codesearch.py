"""Query/code evaluation pairs from an installed Python package, CodeSearchNet's way.

CodeSearchNet (Husain et al., 2019) pairs each documented function with its
documentation: the docstring's summary is the natural-language query, the
function's code without its docstring is the target to retrieve. We follow it:

- query  = the first sentence of the docstring (up to the first '.', '?' or '!'
           followed by white space, or the first blank line), on one line;
- target = the function's source with the docstring removed;
- dropped, as CodeSearchNet does: functions whose code (without the docstring)
  has fewer than 3 lines, queries of fewer than 3 words, test functions
  (a name containing "test"), dunder methods (`__init__`, `__repr__`, ...),
  and repeated queries or targets (overloads, copies).

The package is real code nobody here wrote, read from its installed source
files, so the pairs are reproducible offline: `code_pairs("httpx")`.

    pairs = code_pairs("httpx", max_pairs=200, seed=0)
    queries = [p.query for p in pairs]; targets = [p.code for p in pairs]
"""

from __future__ import annotations

import ast
import importlib.util
import random
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

MIN_CODE_LINES = 3
MIN_QUERY_WORDS = 3
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@dataclass(frozen=True)
class CodePair:
    query: str  # the docstring's first sentence
    code: str  # the function without its docstring
    package: str
    path: str  # the file, relative to the package's folder
    qualname: str  # Class.method or function
    lineno: int

    @property
    def id(self) -> str:
        return f"{self.package}:{self.path}:{self.qualname}"


def first_sentence(docstring: str) -> str:
    """The docstring's summary: its first paragraph, cut after the first sentence."""
    paragraph = textwrap.dedent(docstring).strip().split("\n\n", 1)[0]
    paragraph = " ".join(paragraph.split())
    return _SENTENCE_END.split(paragraph, 1)[0].strip()


def _without_docstring(source_lines: list[str], node: ast.AST) -> list[str]:
    """The function's lines with the docstring statement cut out."""
    doc = node.body[0]
    start = node.lineno - 1 if not node.decorator_list else node.decorator_list[0].lineno - 1
    lines = source_lines[start : node.end_lineno]
    cut_from, cut_to = doc.lineno - 1 - start, doc.end_lineno - start
    kept = lines[:cut_from] + lines[cut_to:]
    return textwrap.dedent("\n".join(kept)).splitlines()


def _functions(tree: ast.AST):
    """(qualname, node) of every function and method, nested ones included."""
    stack = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield prefix + child.name, child
                stack.append((prefix + child.name + ".", child))
            elif isinstance(child, ast.ClassDef):
                stack.append((prefix + child.name + ".", child))


def pairs_from_source(source: str, package: str = "", path: str = "") -> list[CodePair]:
    """The CodeSearchNet pairs of one module's source text (filters above applied,
    except de-duplication, which `code_pairs` does across the package)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for qualname, node in _functions(tree):
        name = node.name
        if "test" in name.lower() or (name.startswith("__") and name.endswith("__")):
            continue
        docstring = ast.get_docstring(node)
        if not docstring:
            continue
        query = first_sentence(docstring)
        if len(query.split()) < MIN_QUERY_WORDS:
            continue
        code_lines = [line for line in _without_docstring(lines, node) if line.strip()]
        if len(code_lines) < MIN_CODE_LINES:
            continue
        found.append(CodePair(query, "\n".join(code_lines), package, path, qualname, node.lineno))
    found.sort(key=lambda p: p.lineno)
    return found


def package_folder(package: str) -> Path:
    """The installed package's source folder (or its single module file)."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise ValueError(f"package {package!r} is not installed")
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    if spec.origin and spec.origin.endswith(".py"):
        return Path(spec.origin)
    raise ValueError(f"package {package!r} has no Python source to read (origin {spec.origin})")


def code_pairs(package: str, max_pairs: int | None = None, seed: int = 0) -> list[CodePair]:
    """Every CodeSearchNet-style pair of an installed package (deterministic order:
    by file, then line), or a seeded sample of `max_pairs` of them."""
    root = package_folder(package)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*.py") if "test" not in p.relative_to(root).as_posix().lower())
    pairs, seen_queries, seen_code = [], set(), set()
    for file in files:
        try:
            source = file.read_text(encoding="utf-8")
            module_pairs = pairs_from_source(source, package, file.relative_to(root.parent).as_posix())
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # generated or Python-2 files some packages ship
        for pair in module_pairs:
            if pair.query.lower() in seen_queries or pair.code in seen_code:
                continue
            seen_queries.add(pair.query.lower())
            seen_code.add(pair.code)
            pairs.append(pair)
    if not pairs:
        raise ValueError(f"package {package!r} has no documented functions to pair")
    if max_pairs is not None and len(pairs) > max_pairs:
        chosen = sorted(random.Random(seed).sample(range(len(pairs)), max_pairs))
        pairs = [pairs[i] for i in chosen]
    return pairs
