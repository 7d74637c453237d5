"""Loaders: PDF, Markdown by headings, code in 10+ languages (roadmap Day 29-30)."""

import matplotlib

matplotlib.use("pdf")

from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_raises_clearly, fail

from .helpers import check_exact_cover, whole_file
from .samples import SOURCES

SKILL = "loaders"


def test_language_of_knows_ten_languages_by_extension(impl):
    seen = {}
    for language, (name, _, _) in SOURCES.items():
        got = impl.language_of(name)
        if got != language:
            fail(f"language_of({name!r}) = {got!r}, expected {language!r}")
        seen[language] = got
    assert len(seen) >= 10
    assert impl.language_of("notes.md") == "markdown"
    assert impl.language_of("paper.PDF") == "pdf", "extensions are matched case-insensitively"
    assert impl.language_of("picture.png") is None
    assert impl.language_of("Makefile") is None


MARKDOWN = """Intro before any heading.

# Install
Run pip.

## From source
```bash
# this is a shell comment, not a heading
make
```

## Wheels
Use wheels.

# Usage
Call it.
"""


def test_markdown_sections_keep_heading_path(impl):
    chunks = impl.load_markdown(MARKDOWN, "README.md")
    check_exact_cover(whole_file("README.md", MARKDOWN, "markdown"), chunks, "markdown sections")
    got = [(c.symbol, c.start_line, c.end_line) for c in chunks]
    want = [("", 1, 2), ("Install", 3, 5), ("Install > From source", 6, 11), ("Install > Wheels", 12, 14), ("Usage", 15, 16)]
    if got != want:
        fail(f"markdown sections (heading path, lines) are {got}, expected {want}; "
             f"a '#' inside a fenced code block is not a heading")
    assert all(c.language == "markdown" and c.path == "README.md" and len(c.content_hash) == 64 for c in chunks)


heading = st.builds(lambda level, title: "#" * level + " " + title, st.integers(1, 6), st.text("abc xyz", min_size=1, max_size=12).map(str.strip).filter(bool))
body = st.text("abcdef #`\n", max_size=40)


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.one_of(heading, body), max_size=12))
def test_markdown_sections_cover_every_line_once(impl, parts):
    text = "\n".join(parts)
    chunks = impl.load_markdown(text, "doc.md")
    if not text:
        assert chunks == []
        return
    check_exact_cover(whole_file("doc.md", text, "markdown"), chunks, "markdown sections")


def _write_pdf(path, pages):
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        for lines in pages:
            fig = plt.figure(figsize=(8.27, 11.69))
            for i, line in enumerate(lines):
                fig.text(0.1, 0.9 - 0.04 * i, line)
            pdf.savefig(fig)
            plt.close(fig)


def test_pdf_pages_become_cited_chunks(impl, tmp_path):
    pages = [["Retrieval augmented generation", "cites its sources"], ["Chunking splits documents", "into pieces", "of bounded size"]]
    pdf = tmp_path / "paper.pdf"
    _write_pdf(pdf, pages)
    chunks = impl.load_pdf(pdf)
    assert [c.symbol for c in chunks] == ["page 1", "page 2"], f"PDF chunks: {[c.symbol for c in chunks]}"
    for chunk, lines in zip(chunks, pages):
        for line in lines:
            assert line in chunk.text, f"{chunk.symbol} lacks {line!r}: {chunk.text!r}"
    assert (chunks[0].start_line, chunks[0].end_line) == (1, 2)
    assert (chunks[1].start_line, chunks[1].end_line) == (3, 5), "page 2's lines follow page 1's in the joined text"
    assert all(c.language == "pdf" and c.kind == "page" for c in chunks)


def test_broken_pdf_is_named(impl, tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a pdf")
    assert_raises_clearly(ValueError, impl.load_pdf, bad, match_any=["broken.pdf"], what="a corrupt PDF")


def test_load_file_dispatches_by_type(impl, tmp_path):
    for language, (name, src, _) in SOURCES.items():
        (tmp_path / "src").mkdir(exist_ok=True)
        (tmp_path / "src" / name).write_text(src)
    (tmp_path / "README.md").write_text(MARKDOWN)
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0binary")
    (tmp_path / "blob.py").write_bytes(b"\0\1\2 not text")
    (tmp_path / "empty.go").write_text("")
    for language, (name, src, _) in SOURCES.items():
        chunks = impl.load_file(tmp_path / "src" / name, root=tmp_path)
        if len(chunks) != 1:
            fail(f"load_file on {name} gave {len(chunks)} chunks, expected the whole file as one")
        c = chunks[0]
        assert (c.path, c.language, c.start_line, c.end_line, c.text) == (f"src/{name}", language, 1, len(src.splitlines()), src)
        assert c.kind == "file"
    assert [c.symbol for c in impl.load_file(tmp_path / "README.md", root=tmp_path)][1] == "Install"
    for ignored in ("logo.png", "blob.py", "empty.go"):
        got = impl.load_file(tmp_path / ignored, root=tmp_path)
        assert got == [], f"load_file({ignored}) should give [] (binary, unknown or empty), got {len(got)} chunks"
