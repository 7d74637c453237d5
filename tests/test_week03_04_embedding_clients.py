"""aigc_bench.embedding_clients against a real HTTP server on 127.0.0.1.

The server is a small OpenAI-compatible `/v1/embeddings` endpoint written here
with the standard library (http.server), answering with real MiniLM
embeddings; the client under test talks to it over a real socket. Test doubles
stand in only for learner embedders that break the contract."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from aigc_bench.embedding_clients import (
    EmbeddingError, ModuleEmbedder, OpenAIEmbeddingClient, chroma_embedding_function, checked_embeddings,
)
from aigc_bench.models import MiniLMEmbedder

MODEL = "all-MiniLM-L6-v2"
TEXTS = ["open a file", "send an HTTP request", "sort a list in place", "parse JSON text", "x"]


class EmbeddingsHandler(BaseHTTPRequestHandler):
    embedder = MiniLMEmbedder()
    requests_seen: list = []

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path != "/v1/embeddings":
            return self._answer(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests_seen.append(body)
        if body.get("model") != MODEL:
            return self._answer(404, {"error": {"message": f"The model {body.get('model')!r} does not exist", "type": "invalid_request_error"}})
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = self.embedder.embed(texts)
        data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
        data.reverse()  # servers may answer out of order; the client must sort by index
        self._answer(200, {"object": "list", "data": data, "model": MODEL, "usage": {"prompt_tokens": 0, "total_tokens": 0}})


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EmbeddingsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_client_matches_the_model_and_batches(endpoint):
    client = OpenAIEmbeddingClient(endpoint, MODEL, batch_size=2)
    out = client.embed(TEXTS)
    direct = MiniLMEmbedder().embed(TEXTS)
    assert out.shape == (5, 384) and out.dtype == np.float32
    np.testing.assert_allclose(out, direct, atol=1e-5, err_msg="the endpoint's embeddings, in the caller's order")
    assert client.requests == 3, "5 texts in batches of 2 take 3 requests"
    assert [len(b["input"]) for b in EmbeddingsHandler.requests_seen[-3:]] == [2, 2, 1]
    assert client.embed([]).shape[0] == 0


def test_openai_client_reports_the_servers_error(endpoint):
    client = OpenAIEmbeddingClient(endpoint, "no-such-model")
    with pytest.raises(EmbeddingError, match="404.*no-such-model.*does not exist"):
        client.embed(["hello"])
    with pytest.raises(TypeError, match="not one string"):
        client.embed("hello")
    with pytest.raises(ValueError, match="http"):
        OpenAIEmbeddingClient("127.0.0.1:8000", MODEL)


def test_module_embedder_validates_a_learners_output():
    class Unnormalised:
        @staticmethod
        def embed(texts):
            return np.ones((len(texts), 4), np.float32)

    class WrongCount:
        @staticmethod
        def embed(texts):
            return np.eye(1, 4, dtype=np.float32)

    with pytest.raises(EmbeddingError, match="unit norm"):
        ModuleEmbedder(Unnormalised).embed(["a", "b"])
    with pytest.raises(EmbeddingError, match="1 vectors for 2 texts"):
        ModuleEmbedder(WrongCount).embed(["a", "b"])
    with pytest.raises(EmbeddingError, match="NaN"):
        checked_embeddings(np.full((1, 3), np.nan, np.float32), 1)


def test_chroma_embedding_function_wraps_any_embedder(endpoint):
    function = chroma_embedding_function(OpenAIEmbeddingClient(endpoint, MODEL))
    vectors = function(["open a file", "parse JSON text"])
    assert len(vectors) == 2
    np.testing.assert_allclose(np.asarray(vectors[1]), MiniLMEmbedder().embed(["parse JSON text"])[0], atol=1e-5)
    assert function.name() == "aigc-bench"
