"""`aigc-bench index`, `search` and `ask` on a small real repository (in process: the
CLI's own entry point, a real ChromaDB on disk, real MiniLM)."""

import shutil
from pathlib import Path

import pytest

from aigc_bench.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo")
    from suites.week05_06_rag.samples import SOURCES

    for name, src, _ in SOURCES.values():
        (repo / "src").mkdir(exist_ok=True)
        (repo / "src" / name).write_text(src)
    shutil.copy(ROOT / "impls" / "numpy" / "retrievers.py", repo / "src" / "retrievers.py")
    (repo / "README.md").write_text("# Shapes\nCompute areas.\n\n## Circles\nA circle has a radius.\n")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD.py").write_text("ignored = True\n")
    return repo


def test_index_then_reindex_is_incremental(repo, capsys):
    assert main(["index", str(repo), "--quiet"]) == 0
    first = capsys.readouterr().out
    assert "indexed 16 files" in first and "16 added" in first, first
    (repo / "src" / "shapes.go").write_text((repo / "src" / "shapes.go").read_text() + "\n// edited\n")
    assert main(["index", str(repo), "--quiet"]) == 0
    second = capsys.readouterr().out
    assert "0 added, 1 updated, 0 deleted, 15 unchanged" in second, second


def test_search_prints_ranked_citations(repo, capsys):
    assert main(["search", "reciprocal rank fusion of several rankings", "--repo", str(repo), "-k", "3"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("1. src/retrievers.py:") and "reciprocal_rank_fusion" in first, out
    assert main(["search", "area of a circle", "--repo", str(repo), "--mode", "dense", "-k", "2"]) == 0
    assert "2. src/" in capsys.readouterr().out


@pytest.mark.parametrize("query, code", [
    ("how are ranked lists fused?", False), ("Return the bytecode as bytes.", False), ("new in version 3.5", False),
    ("where is reciprocal_rank_fusion called", True), ("Environment.get_template", True),
    ("what does bm25Scores return", True), ("callers of fuse(", True),
])
def test_auto_mode_tells_code_from_words(query, code):
    from aigc_bench.rag_system import looks_like_code

    assert looks_like_code(query) is code


def test_search_auto_mode_finds_an_identifier(repo, capsys):
    assert main(["search", "where is reciprocal_rank_fusion", "--repo", str(repo), "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. src/retrievers.py:") and "reciprocal_rank_fusion" in out.splitlines()[0], out


def test_ask_without_endpoint_is_extractive(repo, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert main(["ask", "how are ranked lists fused?", "--repo", str(repo), "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Extractive answer (no language model was used)"), out[:200]
    assert "[1] src/" in out


def test_ask_with_a_local_openai_compatible_server(repo, capsys, monkeypatch):
    """A real HTTP server on 127.0.0.1 speaking the chat completions API: the command
    sends the assembled prompt and prints the model's text with the sources."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(body)
            cited = body["messages"][1]["content"].split("\n")[2].split(" ")[1]  # "[1] path:start-end"
            reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": f"See {cited}."}}],
                     "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "local")
        assert main(["ask", "how are ranked lists fused?", "--repo", str(repo), "--model", "tiny-local", "-k", "2"]) == 0
    finally:
        server.shutdown()
    out = capsys.readouterr().out
    assert received and received[0]["model"] == "tiny-local"
    assert received[0]["messages"][0]["role"] == "system" and "[1] src/" in received[0]["messages"][1]["content"]
    assert out.startswith("See src/") and "(model tiny-local; sources: src/" in out, out


def test_bad_input_is_named(tmp_path, capsys):
    assert main(["index", str(tmp_path / "missing")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["index", str(tmp_path / "empty"), "--quiet"]) == 2
    assert "no indexable file" in capsys.readouterr().err
