"""Chunkers: token windows with overlap, semantic breaks, AST chunks in 10+ languages
(roadmap Day 29-30, 37-40). Coverage and budgets are checked as properties, on
generated text and on real source files."""

import bisect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_raises_clearly, fail
from aigc_bench.rag import count_tokens, token_offsets

from .helpers import check_exact_cover, real_python_files, sample_documents, whole_file
from .samples import SOURCES

SKILL = "chunkers"

# --------------------------------------------------------------------------- fixed windows


def check_windows(document, chunks, max_tokens, overlap):
    """Window i must be the slice from token i*(max_tokens - overlap) to max_tokens
    tokens later (so windows share exactly `overlap` tokens), the windows must reach
    the last token, and each must cite the lines its text lies on."""
    text = document.text
    offsets = token_offsets(text)
    if not offsets:
        assert chunks == [], "a document without tokens gives no windows"
        return
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_of(char):
        return document.start_line + bisect.bisect_right(newlines, char - 1)

    step = max_tokens - overlap
    for i, c in enumerate(chunks):
        first = i * step
        if first >= len(offsets):
            fail(f"window {i} starts past the last token: too many windows ({len(chunks)})")
        last = min(first + max_tokens, len(offsets)) - 1
        begin, end = offsets[first][0], offsets[last][1]
        if c.text != text[begin:end]:
            shown = "shorter" if len(c.text) < end - begin else "different"
            fail(f"window {i} should hold tokens {first}-{last} (characters {begin}-{end}) "
                 f"but its text is {shown}: {c.text[:40]!r}... (windows start every max_tokens - overlap = {step} tokens)")
        if (c.start_line, c.end_line) != (line_of(begin), line_of(end - 1)):
            fail(f"window {i} says lines {c.start_line}-{c.end_line} but its text lies on lines {line_of(begin)}-{line_of(end - 1)}")
    if not chunks:
        fail("no windows for a document with tokens")
    reached = min((len(chunks) - 1) * step + max_tokens, len(offsets)) - 1
    if reached != len(offsets) - 1:
        fail(f"the windows stop at token {reached} of {len(offsets)}: the end of the document "
             f"(line {line_of(offsets[-1][0])}, the last line) is in no chunk")


@settings(max_examples=30, deadline=None)
@given(text=st.text(st.sampled_from(list("ab cd\n\tÉ_(){}.1")), max_size=400),
       max_tokens=st.integers(2, 40), data=st.data())
def test_fixed_windows_cover_text_with_stated_overlap(impl, text, max_tokens, data):
    overlap = data.draw(st.integers(0, max_tokens - 1), label="overlap")
    document = whole_file("gen.txt", text, "text").with_(start_line=7)
    check_windows(document, impl.chunk_fixed(document, max_tokens=max_tokens, overlap=overlap), max_tokens, overlap)


@pytest.mark.parametrize("max_tokens,overlap", [(64, 16), (200, 32)])
def test_fixed_windows_on_real_files(impl, max_tokens, overlap):
    for name, text in real_python_files(3):
        document = whole_file(name, text, "python")
        check_windows(document, impl.chunk_fixed(document, max_tokens=max_tokens, overlap=overlap), max_tokens, overlap)


def test_fixed_keeps_the_last_line(impl):
    text = "def first():\n    return 1\n\ndef last():\n    return 'the end'"  # no final newline
    chunks = impl.chunk_fixed(whole_file("end.py", text, "python"), max_tokens=8, overlap=2)
    if not chunks or "the end" not in chunks[-1].text or chunks[-1].end_line != 5:
        fail("the last line (line 5, without a final newline) is in no chunk: the chunker drops the last line")


def test_fixed_rejects_bad_overlap(impl):
    doc = whole_file("a.txt", "some words here", "text")
    for overlap, budget in [(8, 8), (-1, 8), (10, 4)]:
        assert_raises_clearly(ValueError, impl.chunk_fixed, doc, max_tokens=budget, overlap=overlap, match_any=["overlap"], what=f"overlap={overlap} with max_tokens={budget}")


# --------------------------------------------------------------------------- semantic


def test_semantic_breaks_where_the_topic_changes(impl, embedder):
    cooking = ["Whisk the eggs with sugar until pale.", "Fold in the flour gently.", "Bake the cake for forty minutes."]
    network = ["The TCP handshake opens a connection.", "Routers forward packets between networks.", "A socket binds to a port."]
    text = "\n".join(cooking + network) + "\n"
    chunks = impl.chunk_semantic(whole_file("notes.txt", text, "text"), embedder, max_tokens=200, breakpoint_percentile=20)
    check_exact_cover(whole_file("notes.txt", text, "text"), chunks, "semantic chunks")
    if 4 not in {c.start_line for c in chunks}:
        fail(f"no break between the cooking and the networking sentences (line 4); chunks start at {[c.start_line for c in chunks]}")


def _toy_embed(texts):
    """A deterministic stand-in for an embedder (bag of characters): coverage and
    budgets do not depend on what the vectors mean."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, t in enumerate(texts):
        for ch in t:
            out[i, ord(ch) % 64] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)


@settings(max_examples=30, deadline=None)
@given(lines=st.lists(st.text(st.sampled_from(list("abc xyz()=")), max_size=30), max_size=25),
       max_tokens=st.integers(3, 30), percentile=st.floats(0, 100))
def test_semantic_covers_lines_within_budget(impl, lines, max_tokens, percentile):
    text = "\n".join(lines)
    document = whole_file("gen.txt", text, "text")
    chunks = impl.chunk_semantic(document, _toy_embed, max_tokens=max_tokens, breakpoint_percentile=percentile)
    if not text.strip():
        assert chunks == []
        return
    check_exact_cover(document, chunks, "semantic chunks")
    for c in chunks:
        n = count_tokens(c.text)
        if n > max_tokens and len([line for line in c.text.splitlines() if line.strip()]) > 1:
            fail(f"semantic chunk at lines {c.start_line}-{c.end_line} holds {n} tokens, over the budget of {max_tokens}")


def test_semantic_on_a_real_file(impl, embedder):
    name, text = real_python_files(1)[0]
    document = whole_file(name, text[:6000], "python")
    chunks = impl.chunk_semantic(document, embedder, max_tokens=120)
    check_exact_cover(document, chunks, "semantic chunks of a real file")
    assert 1 < len(chunks) < len(text[:6000].splitlines())


# --------------------------------------------------------------------------- AST


def _node_starts(document):
    """(row, column) where a syntax node starts, and rows on which one does."""
    from tree_sitter_language_pack import get_parser

    tree = get_parser(document.language).parse(document.text.encode())
    rows, stack = set(), [tree.root_node]
    while stack:
        node = stack.pop()
        rows.add(node.start_point[0])
        stack.extend(node.children)
    return rows


def check_ast_chunks(document, chunks, max_tokens):
    check_exact_cover(document, chunks, f"AST chunks of {document.path}")
    starts = _node_starts(document)
    for c in chunks:
        row = c.start_line - document.start_line
        first_code = next((r for r, line in enumerate(c.text.splitlines(), row) if line.strip()), row)
        if c.kind != "lines" and first_code not in starts and row not in starts:
            fail(f"AST chunk {c.citation} ({c.symbol or c.kind}) starts at line {first_code + document.start_line}, where no syntax node starts")
        n = count_tokens(c.text)
        if n > max_tokens and c.start_line != c.end_line:
            fail(f"AST chunk {c.citation} ({c.symbol}) holds {n} tokens over the budget of {max_tokens}: split it on its children")


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_ast_chunks_name_definitions_in_each_language(impl, language):
    name, src, symbols = SOURCES[language]
    document = whole_file(name, src, language)
    chunks = impl.chunk_ast(document, max_tokens=200)
    check_ast_chunks(document, chunks, 200)
    found = {c.symbol for c in chunks}
    if not symbols <= found:
        fail(f"{language}: the AST chunks name {sorted(found)}; missing {sorted(symbols - found)}")
    method = next((c for c in chunks if c.kind == "method"), None)
    if method is not None and "class" not in method.context and "impl" not in method.context:
        fail(f"{language}: method chunk {method.symbol} does not carry its enclosing class as context ({method.context!r})")


def test_ast_chunks_cover_ten_languages(impl):
    covered = [lang for lang, doc in sample_documents() if impl.chunk_ast(doc, max_tokens=200)]
    assert len(covered) >= 10, f"AST chunks in only {len(covered)} languages: {covered}"


@pytest.mark.parametrize("max_tokens", [40, 200])
def test_ast_chunks_on_real_files(impl, max_tokens):
    for name, text in real_python_files(4):
        check_ast_chunks(whole_file(name, text, "python"), impl.chunk_ast(whole_file(name, text, "python"), max_tokens=max_tokens), max_tokens)


def test_oversized_class_is_split_into_methods(impl):
    methods = "\n".join(f"    def method_{i}(self, value):\n        total = value * {i} + self.offset\n        return total - {i}\n" for i in range(12))
    src = f"class Big:\n    offset = 3\n\n{methods}"
    chunks = impl.chunk_ast(whole_file("big.py", src, "python"), max_tokens=60)
    check_ast_chunks(whole_file("big.py", src, "python"), chunks, 60)
    method_symbols = {c.symbol for c in chunks if c.kind == "method"}
    assert {f"Big.method_{i}" for i in range(12)} <= method_symbols or len(chunks) >= 4, f"chunks: {[c.symbol for c in chunks]}"


python_function = st.builds(
    lambda name, n, width: f"def {name}(x):\n" + "".join(f"    x = x + {'1' * width}  # step {i}\n" for i in range(n)) + "    return x\n",
    st.from_regex(r"[a-z]{3,8}", fullmatch=True), st.integers(0, 30), st.integers(1, 12),
)


@settings(max_examples=25, deadline=None)
@given(functions=st.lists(python_function, min_size=1, max_size=6), gaps=st.lists(st.sampled_from(["", "\n", "import os\n", "X = 1\n\n"]), min_size=6, max_size=6),
       max_tokens=st.integers(12, 120))
def test_ast_chunks_property_generated_python(impl, functions, gaps, max_tokens):
    src = "".join(g + f for g, f in zip(gaps, functions))
    check_ast_chunks(whole_file("gen.py", src, "python"), impl.chunk_ast(whole_file("gen.py", src, "python"), max_tokens=max_tokens), max_tokens)


def test_ast_unknown_language_is_named(impl):
    doc = whole_file("x.zz", "some text", "klingon")
    assert_raises_clearly(ValueError, impl.chunk_ast, doc, match_any=["klingon"], what="a language without a grammar")
