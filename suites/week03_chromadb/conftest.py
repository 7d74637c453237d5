"""Fixtures of the week 3 vector store suite: a real corpus with MiniLM embeddings,
and one `chroma run` server on a loopback port for the whole session."""

import shutil
import socket
import subprocess
import time
import urllib.request

import numpy as np
import pytest

from aigc_bench.codesearch import code_pairs

# Documented functions of two installed packages: the docstring summary is the
# document, and the metadata says where it came from.
PACKAGES = {"click": 30, "jinja2": 20}
SERVER_START_SECONDS = 60


@pytest.fixture(scope="session")
def corpus():
    """{"ids", "documents", "metadatas", "embeddings" [n, 384] (MiniLM), "embed" (texts -> MiniLM vectors)}."""
    from aigc_bench.models import MiniLMEmbedder

    pairs = [p for package, n in PACKAGES.items() for p in code_pairs(package, max_pairs=n, seed=3)]
    embedder = MiniLMEmbedder(batch_size=32)
    documents = [p.query for p in pairs]
    embeddings = embedder.embed(documents)
    known = dict(zip(documents, embeddings))

    def embed(texts):
        """MiniLM's embeddings of the corpus, computed above: the store under test calls
        this inside its guarded functions, where running torch would count as its own work."""
        missing = [t for t in texts if t not in known]
        if missing:
            raise KeyError(f"the test's embedding function only knows the corpus; asked for {missing[0]!r}")
        return np.stack([known[t] for t in texts])

    return {
        "ids": [f"doc-{i:03d}" for i in range(len(pairs))],
        "documents": documents,
        "metadatas": [
            {"package": p.package, "lines": len(p.code.splitlines()), "method": "." in p.qualname, "module": p.path}
            for p in pairs
        ],
        "embeddings": embeddings,
        "embed": embed,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """The URL of a real `chroma run` server on 127.0.0.1, started once a session."""
    chroma = shutil.which("chroma")
    if chroma is None:
        pytest.skip("the `chroma` command (pip install chromadb) is not on PATH")
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = open(folder.parent / "chroma-server.log", "wb")
    process = subprocess.Popen([chroma, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                raise RuntimeError(f"chroma run did not answer on {url} within {SERVER_START_SECONDS}s; "
                                   f"log: {(folder.parent / 'chroma-server.log').read_text()[-2000:]}")
            time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
