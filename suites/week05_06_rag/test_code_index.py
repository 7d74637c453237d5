"""The index: ChromaDB on disk, batch embedding, incremental updates by content hash,
deletions, reopening (roadmap Day 31-32)."""

import pytest

from aigc_bench.checks import fail
from impls.numpy.chunkers import chunk_ast
from impls.numpy.loaders import language_of

from .helpers import whole_file
from .samples import SOURCES

SKILL = "code_index"


def ast_chunker(path, text):
    return chunk_ast(whole_file(path, text, language_of(path)), max_tokens=200)


@pytest.fixture
def repo_files():
    return {f"src/{name}": src for name, src, _ in SOURCES.values()}


def _snapshot(impl, index):
    return sorted((c.path, c.start_line, c.end_line, c.content_hash) for c in impl.indexed_chunks(index))


def test_incremental_index_reembeds_only_changed_files(impl, tmp_path, embedder, repo_files):
    index = impl.open_index(tmp_path / "idx", embedder)
    first = impl.sync_files(index, repo_files, ast_chunker)
    total = sum(len(ast_chunker(p, t)) for p, t in repo_files.items())
    assert first["added"] == len(repo_files) and first["chunks_embedded"] == total, f"first sync: {first}, expected {len(repo_files)} files and {total} chunks"
    before = _snapshot(impl, index)
    assert len(before) == total

    again = impl.sync_files(index, repo_files, ast_chunker)
    if again["chunks_embedded"] or again["unchanged"] != len(repo_files):
        fail(f"re-syncing unchanged files re-embedded {again['chunks_embedded']} chunks: {again}")

    edited = dict(repo_files)
    edited["src/shapes.py"] = edited["src/shapes.py"].replace("return sum(s.area() for s in shapes)", "return float(sum(s.area() for s in shapes))")
    calls_before = embedder.calls
    stats = impl.sync_files(index, edited, ast_chunker)
    assert stats["updated"] == 1 and stats["unchanged"] == len(repo_files) - 1, f"after editing one file: {stats}"
    after = _snapshot(impl, index)
    changed_paths = {c[0] for c in set(before) ^ set(after)}
    if changed_paths != {"src/shapes.py"}:
        fail(f"after editing src/shapes.py the chunks of {sorted(changed_paths)} changed: only that file's may")
    assert embedder.calls - calls_before <= len(ast_chunker("src/shapes.py", edited["src/shapes.py"])), "only the edited file's chunks are embedded"
    hits = impl.search_index(index, "total area as a float", k=3)
    assert any("float(sum" in c.text for c, _ in hits), "the edited text is searchable"


def test_deleted_file_is_never_returned(impl, tmp_path, embedder, repo_files):
    index = impl.open_index(tmp_path / "idx", embedder)
    impl.sync_files(index, repo_files, ast_chunker)
    gone = "src/shapes.rb"
    remaining = {p: t for p, t in repo_files.items() if p != gone}
    stats = impl.sync_files(index, remaining, ast_chunker)
    assert stats["deleted"] == 1, f"deleting one file: {stats}"
    for query in ["ruby class Circle initialize", "def area Math::PI", "total_area shapes.sum"]:
        found = [c.path for c, _ in impl.search_index(index, query, k=50)]
        if gone in found:
            fail(f"search for {query!r} returned a chunk of deleted file {gone}")
    assert gone not in {c.path for c in impl.indexed_chunks(index)}


def test_reopened_index_gives_identical_results(impl, tmp_path, embedder, repo_files):
    index = impl.open_index(tmp_path / "idx", embedder)
    impl.sync_files(index, repo_files, ast_chunker)
    queries = ["compute the area of a circle", "sum the areas of shapes", "import math"]
    before = [[(c.citation, round(s, 5)) for c, s in impl.search_index(index, q, k=5)] for q in queries]
    del index
    reopened = impl.open_index(tmp_path / "idx", embedder)
    after = [[(c.citation, round(s, 5)) for c, s in impl.search_index(reopened, q, k=5)] for q in queries]
    assert before == after, f"results differ after reopening:\n{before}\n{after}"
    stats = impl.sync_files(reopened, repo_files, ast_chunker)
    assert stats["chunks_embedded"] == 0, f"a reopened index remembers what it holds: {stats}"


def test_filters_and_empty_index(impl, tmp_path, embedder, repo_files):
    index = impl.open_index(tmp_path / "idx", embedder)
    assert impl.search_index(index, "anything", k=5) == [], "an empty index gives []"
    impl.sync_files(index, repo_files, ast_chunker)
    hits = impl.search_index(index, "area of a circle", k=5, where={"language": "go"})
    assert hits and all(c.language == "go" for c, _ in hits), f"the language filter leaked: {[c.language for c, _ in hits]}"
    sims = [s for _, s in hits]
    assert sims == sorted(sims, reverse=True), "best first"
