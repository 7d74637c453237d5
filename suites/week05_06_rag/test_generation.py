"""Generation: citations, context compression, prompt assembly, the extractive answer
(roadmap Day 35-36: answers that can be traced to their sources)."""

import re

import pytest

from aigc_bench.checks import fail
from aigc_bench.rag import count_tokens
from impls.numpy.chunkers import chunk_ast

from .helpers import check_text_on_lines, real_python_files, whole_file

SKILL = "generation"


@pytest.fixture(scope="module")
def real_chunks():
    name, text = real_python_files(2)[1]
    chunks = chunk_ast(whole_file(name, text, "python"), max_tokens=120)
    return name, text, [c for c in chunks if c.text.strip()]


def test_citations_point_at_the_snippet_lines(impl, real_chunks):
    name, text, chunks = real_chunks
    for chunk in chunks[1:12]:
        citation = impl.cite(chunk)
        check_text_on_lines(chunk, text, citation)
        assert citation.startswith(f"{name}:"), f"citation {citation!r} must start with the path"


def test_compressed_context_fits_and_cites_truly(impl, real_chunks):
    name, text, chunks = real_chunks
    ranked = chunks[3:9] + [chunks[4], chunks[3]]  # repeats must be dropped
    for budget in (60, 150, 400):
        kept = impl.compress_context(ranked, budget)
        used = sum(count_tokens(c.text) for c in kept)
        if used > budget:
            fail(f"compressed context holds {used} tokens, over the budget of {budget}")
        for c in kept:
            check_text_on_lines(c, text)  # trimmed snippets must update their line span
        spans = [(c.path, c.start_line) for c in kept]
        assert len(spans) == len(set(spans)), f"duplicates survived compression: {spans}"
        assert [c.start_line for c in kept] == [c.start_line for c in ranked[:len(kept)]], "compression keeps the ranking order"
    tight = impl.compress_context(ranked, 30)
    assert tight and count_tokens(tight[0].text) <= 30, "a first snippet over the budget is trimmed to its leading lines, not dropped"


def test_contained_snippet_is_dropped(impl, real_chunks):
    name, text, chunks = real_chunks
    big = chunks[5]
    lines = big.text.splitlines(keepends=True)
    inner = big.with_(text="".join(lines[1:3]), start_line=big.start_line + 1, end_line=big.start_line + 2, content_hash="")
    kept = impl.compress_context([big, inner], 10_000)
    assert len(kept) == 1, f"lines {inner.citation} are inside {big.citation} already shown: keep one snippet, got {len(kept)}"


def test_prompt_cites_every_snippet(impl, real_chunks):
    name, text, chunks = real_chunks
    picked = chunks[2:5]
    messages = impl.assemble_prompt("How are tokens produced?", picked)
    assert [m["role"] for m in messages] == ["system", "user"], f"roles: {[m['role'] for m in messages]}"
    assert "path:start-end" in messages[0]["content"] or "cite" in messages[0]["content"].lower(), "the system message asks for citations"
    user = messages[1]["content"]
    assert "How are tokens produced?" in user
    for n, c in enumerate(picked, 1):
        header = f"[{n}] {c.path}:{c.start_line}-{c.end_line}"
        if header not in user:
            fail(f"the prompt lacks the header {header!r} for snippet {n}")
        first_line = next(line for line in c.text.splitlines() if line.strip())
        assert first_line.strip() in user, f"snippet {n}'s text is missing from the prompt"
    for citation in re.findall(r"\[\d+\] (\S+:\d+-\d+)", user):
        chunk = picked[int(re.search(r"\[(\d+)\] " + re.escape(citation), user).group(1)) - 1]
        check_text_on_lines(chunk, text, citation)


def test_extractive_answer_is_labelled(impl, real_chunks):
    name, text, chunks = real_chunks
    answer = impl.extractive_answer("How are tokens produced?", chunks[2:8], max_snippets=2)
    first = answer.splitlines()[0].lower()
    if "extractive" not in first or "no language model" not in first:
        fail(f"the extractive answer's first line must say it is extractive and that no language model was used: {answer.splitlines()[0]!r}")
    cited = re.findall(r"\S+:\d+-\d+", answer)
    assert cited[:2] == [c.citation for c in chunks[2:4]], f"the answer cites {cited}, expected the first two snippets"
