"""Loaders: PDF, Markdown by headings, source code by extension (roadmap Day 29-30).

Every loader returns `Chunk`s whose line spans are exact, so that whatever is
cut from them later can still be cited as path:start-end."""

from __future__ import annotations

import re
from pathlib import Path, PurePath

from aigc_bench.rag import Chunk, line_count

# extension -> grammar name in tree-sitter-language-pack
EXTENSIONS = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "tsx",
    ".java": "java", ".go": "go", ".rs": "rust",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".cs": "csharp", ".rb": "ruby", ".php": "php",
    ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".swift": "swift",
    ".lua": "lua", ".sh": "bash", ".bash": "bash",
    ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf",
}

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def language_of(path):
    return EXTENSIONS.get(PurePath(str(path)).suffix.lower())


def load_markdown(text, path):
    lines = text.splitlines(keepends=True)
    # Find the headings (line index, level, title), skipping fenced code blocks.
    headings, fence = [], None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            h = _HEADING.match(line.rstrip("\r\n"))
            if h:
                headings.append((i, len(h.group(1)), (h.group(2) or "").strip()))
    starts = [0] + [i for i, _, _ in headings if i > 0]
    ends = starts[1:] + [len(lines)]
    by_line = {i: (level, title) for i, level, title in headings}
    chunks, trail = [], []  # trail: the open headings, [(level, title)]
    for start, end in zip(starts, ends):
        if start in by_line:
            level, title = by_line[start]
            trail = [(lv, t) for lv, t in trail if lv < level] + [(level, title)]
        heading_path = " > ".join(t for _, t in trail)
        chunks.append(Chunk(
            text="".join(lines[start:end]), path=str(path), language="markdown",
            start_line=start + 1, end_line=end, symbol=heading_path, kind="section", context=heading_path,
        ))
    return [c for c in chunks if c.end_line >= c.start_line]


def load_pdf(path):
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable PDF: {exc}") from exc
    chunks, line = [], 1
    for number, text in enumerate(pages, 1):
        text = text.rstrip("\n")
        n = max(line_count(text), 1)  # an empty page still takes its line in the joined text
        if text.strip():
            chunks.append(Chunk(text=text, path=str(path), language="pdf", start_line=line,
                                end_line=line + n - 1, symbol=f"page {number}", kind="page"))
        line += n
    return chunks


def load_file(path, root=None):
    path = Path(path)
    shown = path.relative_to(root).as_posix() if root is not None else path.as_posix()
    language = language_of(path)
    if language is None:
        return []
    if language == "pdf":
        return [c.with_(path=shown) for c in load_pdf(path)]
    raw = path.read_bytes()
    if b"\0" in raw[:8192]:
        return []  # binary
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        return []
    if language == "markdown":
        return load_markdown(text, shown)
    return [Chunk(text=text, path=shown, language=language, start_line=1,
                  end_line=line_count(text), symbol=PurePath(shown).stem, kind="file")]
