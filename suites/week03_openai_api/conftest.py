"""Our own OpenAI-compatible server, a real `aigc-bench serve` subprocess on a free
loopback port for the whole session, and the official `openai` client pointed at it."""

import openai
import pytest

from aigc_bench.server.testing import serving

MODEL = "aigc-small"
EMBEDDING_MODEL = "all-MiniLM-L6-v2"


@pytest.fixture(scope="session")
def openai_server():
    with serving("--config", "small") as server:
        yield server


@pytest.fixture(scope="session")
def client(openai_server):
    # max_retries=0: the suite tests retrying itself (call_with_retry), never the client's own
    return openai.OpenAI(base_url=openai_server.base_url, api_key="not-needed-locally", max_retries=0, timeout=60)


@pytest.fixture(scope="session")
def encode():
    """The server's tokenizer as str -> ids: MiniLM's tokenizer.json through the Rust
    `tokenizers` library (no padding or truncation, no special tokens)."""
    from tokenizers import Tokenizer

    from aigc_bench.models import minilm_dir

    tokenizer = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return lambda text: tokenizer.encode(text, add_special_tokens=False).ids
