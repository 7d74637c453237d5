"""Checks and inputs shared by the weeks 5-6 tests."""

from __future__ import annotations

import inspect
from pathlib import Path

from aigc_bench.checks import fail
from aigc_bench.rag import Chunk, line_count

from .samples import SOURCES


def whole_file(path: str, text: str, language: str) -> Chunk:
    """A loaded source file as the chunkers receive it."""
    return Chunk(text=text, path=path, language=language, start_line=1, end_line=max(line_count(text), 1), kind="file")


def real_python_files(limit: int = 6) -> list[tuple[str, str]]:
    """Real modules nobody wrote for these tests: some of the standard library and of
    installed packages, smallest first so that the default run stays quick."""
    import email.message
    import json.decoder
    import textwrap

    import click.core
    import jinja2.lexer

    modules = [textwrap, json.decoder, email.message, click.core, jinja2.lexer]
    files = [(Path(inspect.getsourcefile(m)).name, inspect.getsource(m)) for m in modules]
    return sorted(files, key=lambda f: len(f[1]))[:limit]


def sample_documents():
    """(language, document) for the small program in each of the sample languages."""
    return [(lang, whole_file(name, src, lang)) for lang, (name, src, _) in SOURCES.items()]


def check_exact_cover(document: Chunk, chunks, what: str = "chunks") -> None:
    """Chunks of whole lines must cover every line of the document exactly once, in order."""
    lines = document.text.splitlines(keepends=True)
    expected = document.start_line
    for i, c in enumerate(chunks):
        if c.start_line != expected:
            gap = "skips" if c.start_line > expected else "repeats"
            fail(f"{what}: chunk {i} starts at line {c.start_line} but line {expected} is next: the chunker {gap} lines {min(expected, c.start_line)}-{max(expected, c.start_line) - 1}")
        want = "".join(lines[c.start_line - document.start_line:c.end_line - document.start_line + 1])
        if c.text != want:
            fail(f"{what}: chunk {i} claims lines {c.start_line}-{c.end_line} but its text differs from those lines")
        expected = c.end_line + 1
    last = document.start_line + len(lines) - 1
    if lines and expected != last + 1:
        fail(f"{what}: the chunks end at line {expected - 1} but the document ends at line {last}: the last line(s) {expected}-{last} are in no chunk")


def check_text_on_lines(chunk: Chunk, file_text: str, citation: str | None = None) -> None:
    """The chunk's text must lie on the lines its span (or `citation`) names: starting on
    the first, ending on the last."""
    import re

    span = citation or chunk.citation
    m = re.fullmatch(r"(.+):(\d+)-(\d+)", span)
    if not m:
        fail(f"citation {span!r} is not of the form path:start-end")
    start, end = int(m.group(2)), int(m.group(3))
    lines = file_text.splitlines(keepends=True)
    region = "".join(lines[start - 1:end]) if start >= 1 else ""
    first, last = chunk.text.strip().splitlines()[0], chunk.text.strip().splitlines()[-1]
    ok = chunk.text.strip() in region and region.lstrip().startswith(first.strip()[:60]) and region.rstrip().endswith(last.strip()[-60:])
    if not ok:
        fail(f"citation {span} points at lines that do not hold the snippet (which starts {first.strip()[:50]!r}): "
             f"wrong line numbers (off by one, 0-based, or a span not updated after trimming)")
